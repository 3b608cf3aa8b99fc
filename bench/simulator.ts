// Images/s of the int8 TS simulator and of tfjs float predict (wasm backend) on the same model and images.
import os from 'node:os';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { loadModel, predictFloatLogits, selectBackend } from '../src/train/index.js';
import path from 'node:path';
import { ARTIFACT_ARGUMENT, parseBenchArgs } from './bench-args.js';

const { positionals: [artifactPath, count] } = parseBenchArgs({
  usage: 'tsx bench/simulator.ts [artifact] [images]',
  description: 'Images/s of the int8 TypeScript simulator and of tfjs float predict (wasm backend) on the same model and images.',
  positionals: [
    { ...ARTIFACT_ARGUMENT, help: "int8 model artifact (its float model is read from the artifact's source)" },
    { name: 'images', help: 'MNIST test images', default: '10000' },
  ],
});
const images = Number(count);
const artifact = loadArtifact(artifactPath);
const set = loadDigitSet('mnist:test', images);

const sim = new Simulator(artifact);
sim.classifyMany(set.images, Math.min(200, set.count)); // JIT warm-up
let t0 = performance.now();
const { digits } = sim.classifyMany(set.images, set.count);
const simSeconds = (performance.now() - t0) / 1000;
let correct = 0;
for (let i = 0; i < set.count; i++) if (digits[i] === set.labels[i]) correct++;

const backend = await selectBackend('wasm');
const model = await loadModel(path.resolve(path.dirname(artifactPath), artifact.source.model));
predictFloatLogits(model, set.images, Math.min(500, set.count));
t0 = performance.now();
predictFloatLogits(model, set.images, set.count);
const floatSeconds = (performance.now() - t0) / 1000;

console.log(JSON.stringify({
  bench: 'simulator',
  model: artifactPath, images: set.count, macs_per_image: artifact.macs,
  simulator: { seconds: Number(simSeconds.toFixed(3)), images_per_s: Math.round(set.count / simSeconds), accuracy: correct / set.count },
  tfjs_float: { backend: backend.name, seconds: Number(floatSeconds.toFixed(3)), images_per_s: Math.round(set.count / floatSeconds) },
  simulator_over_float: Number((floatSeconds / simSeconds).toFixed(3)),
  target: 'simulator: 10,000 images in ≤ 10 s',
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  date: new Date().toISOString(),
}));
