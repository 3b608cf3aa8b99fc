/**
 * Writes MNIST test digits rendered as webcam frames (JPEG files with the label in the name) and, optionally,
 * a 640×480 clip of the same frames — test material for the camera pipeline when no camera is at hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseBenchArgs } from '../bench/bench-args.js';
import { createRng, imageAt, loadDigitSet, type MnistSplit } from '../src/data/index.js';
import { VIDEO_EXTENSIONS, frameSeed, synthesizeCameraFrame, writeGrayVideo, type Frame } from '../src/camera/index.js';

const HELP = `usage: tsx scripts/make-camera-frames.ts --out <dir> [options]

Renders MNIST digits the way a webcam sees them on paper (off-centre, scaled, rotated, tilted, uneven light,
blur, sensor noise, JPEG) and writes <dir>/mnist-<split>-<index>-label<digit>.jpg. Frame k depends only on
(--seed, MNIST index), so runs are reproducible and ranges can be regenerated independently.

options:
  --out <dir>          output folder (created if missing)                          required
  --count <n>          number of frames                                             default 100
  --seed <s>           rendering seed                                               default 1
  --start <k>          first MNIST index                                            default 0
  --split <name>       test | train                                                 default test
  --light-on-dark      chalk-on-board polarity instead of pen on paper
  --video <file>       also encode the frames as a clip (${VIDEO_EXTENSIONS.join(', ')}; needs ffmpeg)
  --fps <f>            clip frame rate                                              default 10
  -h, --help           this text`;

function integerOption(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  // --help, an unknown option or a missing value end the process here (exit 0 or 2, bench/bench-args.ts).
  const { values } = parseBenchArgs({
    usage: HELP,
    args: argv,
    options: {
      out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, start: { type: 'string' },
      split: { type: 'string' }, video: { type: 'string' }, fps: { type: 'string' },
      'light-on-dark': { type: 'boolean' },
    },
  });
  if (!values.out) throw new Error(`--out is required\n\n${HELP}`);
  const split = (values.split ?? 'test') as MnistSplit;
  if (split !== 'test' && split !== 'train') throw new Error(`--split must be 'test' or 'train', got '${values.split}'`);
  const count = integerOption(values.count, 'count', 100, 1);
  const seed = integerOption(values.seed, 'seed', 1, 0);
  const start = integerOption(values.start, 'start', 0, 0);
  const fps = values.fps === undefined ? 10 : Number(values.fps);
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
