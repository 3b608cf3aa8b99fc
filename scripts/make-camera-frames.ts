/**
 * Writes MNIST test digits rendered as webcam frames (JPEG files with the label in the name) and, optionally,
 * a 640×480 clip of the same frames — test material for the camera pipeline when no camera is at hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchHelp, parseBenchArgs } from '../bench/bench-args.js';
import { createRng, imageAt, loadDigitSet, type MnistSplit } from '../src/data/index.js';
import { VIDEO_EXTENSIONS, frameSeed, synthesizeCameraFrame, writeGrayVideo, type Frame } from '../src/camera/index.js';

/** The options and the help --help prints (bench/bench-args.ts); --out has no default: it is required. */
const ARGS = {
  usage: 'tsx scripts/make-camera-frames.ts --out <dir> [options]',
  description: `Renders MNIST digits the way a webcam sees them on paper (off-centre, scaled, rotated, tilted, uneven light,
blur, sensor noise, JPEG) and writes <dir>/mnist-<split>-<index>-label<digit>.jpg. Frame k depends only on
(--seed, MNIST index), so runs are reproducible and ranges can be regenerated independently.`,
  options: {
    out: { type: 'string', arg: 'dir', help: 'output folder (created if missing); required' },
    count: { type: 'string', default: '100', arg: 'n', help: 'number of frames' },
    seed: { type: 'string', default: '1', arg: 's', help: 'rendering seed' },
    start: { type: 'string', default: '0', arg: 'k', help: 'first MNIST index' },
    split: { type: 'string', default: 'test', arg: 'name', help: 'test | train' },
    'light-on-dark': { type: 'boolean', help: 'chalk-on-board polarity instead of pen on paper' },
    video: { type: 'string', arg: 'file', help: `also encode the frames as a clip (${VIDEO_EXTENSIONS.join(', ')}; needs ffmpeg)` },
    fps: { type: 'string', default: '10', arg: 'f', help: 'clip frame rate' },
  },
} as const;

function integerOption(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  // --help, an unknown option or a missing value end the process here (exit 0 or 2, bench/bench-args.ts).
  const { values } = parseBenchArgs({ ...ARGS, args: argv });
  if (!values.out) throw new Error(`--out is required\n\n${benchHelp(ARGS)}`);
  const split = values.split as MnistSplit;
  if (split !== 'test' && split !== 'train') throw new Error(`--split must be 'test' or 'train', got '${values.split}'`);
  const count = integerOption(values.count, 'count', 1);
  const seed = integerOption(values.seed, 'seed', 0);
  const start = integerOption(values.start, 'start', 0);
  const fps = Number(values.fps);
  if (!(fps > 0 && fps <= 120)) throw new Error(`--fps must be a number in (0, 120], got '${values.fps}'`);
  const digits = loadDigitSet(`mnist:${split}`);
  if (start + count > digits.count) throw new Error(`--start ${start} + --count ${count} exceeds the ${digits.count} digits of mnist:${split}`);

  mkdirSync(values.out, { recursive: true });
  const polarity = values['light-on-dark'] ? 'light-on-dark' : 'dark-on-light';
  const frames: Frame[] = [];
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const label = digits.labels[index];
    const rendered = await synthesizeCameraFrame(imageAt(digits, index), createRng(frameSeed(seed, index)), { polarity });
    const name = `mnist-${split}-${String(index).padStart(5, '0')}-label${label}.jpg`;
    writeFileSync(path.join(values.out, name), rendered.jpeg);
    if (values.video) frames.push({ gray: rendered.gray, width: rendered.width, height: rendered.height, timestampMs: (k * 1000) / fps, index: k, label, source: name });
  }
  process.stdout.write(`wrote ${count} frames to ${values.out}\n`);
  if (values.video) {
    const result = await writeGrayVideo(frames, values.video, { fps });
    process.stdout.write(`wrote ${result.frames} frames to ${result.file} (${result.codec}, ${fps} fps)\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`make-camera-frames: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
