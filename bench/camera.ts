// Camera path benchmark: accuracy and speed of ffmpeg decode → MNIST-style preprocessing → board, plus the cost of
// preprocessing on clean MNIST digits. Usage: npm run bench:camera [-- --frames 2000 --engine board|sim --clean 10000]
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mnistFrames, preprocess, videoFrames, writeGrayVideo, type Frame } from '../src/camera/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { openBoardClassifier } from '../src/cli/live/board-classifier.js';
import { recognize, type DigitClassifier } from '../src/cli/live/recognize.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '2000' },
    clean: { type: 'string', default: '10000' },
    engine: { type: 'string', default: 'board' },
    model: { type: 'string', default: 'models/default/model.int8.json' },
    seed: { type: 'string', default: '1' },
    window: { type: 'string', default: '6' },
  },
});
const frames = Number(values.frames);
const cleanCount = Number(values.clean);
const seed = Number(values.seed);
const model = String(values.model);
const artifact = loadArtifact(model);
const sim = new Simulator(artifact);
const test = loadDigitSet('mnist:test');
const log = (s: string): void => { process.stderr.write(s + '\n'); };

// 1. A 640×480 clip of camera-like renderings of the first `frames` test digits (cached by seed and count).
const cacheDir = path.join('node_modules', '.cache', 'edge-digits', 'camera-bench');
mkdirSync(cacheDir, { recursive: true });
const clip = path.join(cacheDir, `mnist-test-${frames}-seed${seed}.mp4`);
if (!existsSync(clip)) {
  log(`rendering ${frames} camera-like frames into ${clip}…`);
  const t0 = performance.now();
  await writeGrayVideo(mnistFrames({ count: frames, seed, digits: test }), clip, { fps: 30 });
  log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// 2. The full path from the clip: decode → preprocess → classifier, bounded in-flight window.
const classifier: DigitClassifier = values.engine === 'sim'
  ? { name: 'sim', classify: async (p) => sim.classify(p), close: async () => {} }
  : await openBoardClassifier({ model, qemu: false, log });
async function* labelled(src: AsyncIterable<Frame>): AsyncGenerator<Frame> {
  for await (const f of src) yield { ...f, label: test.labels[f.index] };
}
let mismatches = 0;
const video = await recognize(labelled(videoFrames(clip)), {
  classifier, preprocess, preprocessOptions: {}, window: Number(values.window), stableWindow: 5, minConfidence: 0.6,
  outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint,
  onOutcome: (o) => {
    // Every board answer must be the simulator's, to the last logit.
    if (o.pre.kind === 'digit' && o.logits && sim.classify(o.pre.pixels).logits.some((v, i) => v !== o.logits?.[i])) mismatches++;
  },
});
await classifier.close();

/** A clean MNIST digit as a scanner would see it: the 28×28 image in the middle of a blank 84×84 page. */
function onCanvas(px: Uint8Array, i: number): Frame {
  const side = 84;
  const gray = new Uint8Array(side * side);
  for (let y = 0; y < 28; y++) gray.set(px.subarray(y * 28, y * 28 + 28), (y + 28) * side + 28);
  return { gray, width: side, height: side, timestampMs: 0, index: i, source: `mnist:test#${i}` };
}

// 3. Clean MNIST digits: straight into the model vs through the preprocessing (as a 28×28 "photo").
let direct = 0;
let through = 0;
let noDigit = 0;
const t1 = performance.now();
for (let i = 0; i < cleanCount; i++) {
  const px = test.images.subarray(i * 784, i * 784 + 784);
  if (sim.classify(px).digit === test.labels[i]) direct++;
  const r = await preprocess(onCanvas(px, i));
  if (r.kind === 'digit') {
    if (sim.classify(r.pixels).digit === test.labels[i]) through++;
  } else noDigit++;
}
const cleanSeconds = (performance.now() - t1) / 1000;

const out = {
  bench: 'camera',
  model, engine: classifier.name,
  camera_like: {
    frames: video.frames, clip: path.basename(clip), resolution: '640x480', accuracy: video.accuracy, target_accuracy: 0.98,
    no_digit: video.noDigit, logit_mismatches_vs_sim: mismatches,
    fps: Number(video.fps.toFixed(1)), target_fps: 30,
    latency_ms: { p50: Number(video.latencyMs.p50.toFixed(2)), p99: Number(video.latencyMs.p99.toFixed(2)) },
    device_us: video.deviceMicros,
  },
  clean_mnist: {
    images: cleanCount, direct_accuracy: direct / cleanCount, preprocessed_accuracy: through / cleanCount,
    loss_points: Number((((direct - through) / cleanCount) * 100).toFixed(3)), target_loss_points: 0.3, no_digit: noDigit,
    seconds: Number(cleanSeconds.toFixed(1)),
  },
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  date: new Date().toISOString(),
};
console.log(JSON.stringify(out));
