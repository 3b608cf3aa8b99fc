// Host images/s of the generated C engine (gcc -O2, no sanitizers; specialized and generic kernels) against the
// TypeScript simulator on the same images, one run each. Also checks that all three give identical logits.
//   tsx bench/c-engine.ts [artifact] [images]      (--help: the arguments and their defaults)
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { buildHostEngine, generateFromArtifactFile, HOST_BATCH_MAIN, runHostEngine } from '../firmware-gen/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { Simulator } from '../src/quantize/index.js';
import { ARTIFACT_ARGUMENT, parseBenchArgs } from './bench-args.js';

const { positionals: [artifactPath, images] } = parseBenchArgs({
  usage: 'tsx bench/c-engine.ts [artifact] [images]',
  description: 'Host images/s of the generated C engine (specialized and generic kernels) against the TypeScript simulator.',
  positionals: [
    ARTIFACT_ARGUMENT,
    { name: 'images', help: 'MNIST test images', default: '10000' },
  ],
});
const count = Number(images);
const set = loadDigitSet('mnist:test', count);
const fw = generateFromArtifactFile(artifactPath, 'host');

function timeC(specialize: '1' | '0'): { seconds: number; images_per_s: number; startup_seconds: number; logits: Int8Array } {
  const exe = buildHostEngine(fw, { main: HOST_BATCH_MAIN, optimization: '-O2', defines: { ED_SPECIALIZE: specialize } });
  // Process start + pipe set-up, measured with one image, is subtracted so the figure is the engine's own speed.
  const startup = runHostEngine(exe, set.images, 1).seconds;
  const r = runHostEngine(exe, set.images, set.count);
  const seconds = Math.max(1e-6, r.seconds - startup);
  return { seconds: Number(seconds.toFixed(3)), images_per_s: Math.round(set.count / seconds), startup_seconds: Number(startup.toFixed(4)), logits: r.logits };
}

const specialized = timeC('1');
const generic = timeC('0');
const sim = new Simulator(fw.model);
sim.classifyMany(set.images, Math.min(200, set.count)); // JIT warm-up
const t0 = performance.now();
const simRun = sim.classifyMany(set.images, set.count);
const simSeconds = (performance.now() - t0) / 1000;
const same = (a: Int8Array): boolean => a.length === simRun.logits.length && a.every((v, i) => v === simRun.logits[i]);

const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' }).stdout.split('\n', 1)[0];
const { logits: specializedLogits, ...specializedFigures } = specialized;
const { logits: genericLogits, ...genericFigures } = generic;
console.log(JSON.stringify({
  bench: 'c-engine',
  model: artifactPath, images: set.count, macs_per_image: fw.macs, arena_bytes: fw.plan.bytes,
  c_specialized: { ...specializedFigures, flags: 'gcc -std=c99 -O2 (ED_SPECIALIZE=1)' },
  c_generic: { ...genericFigures, flags: 'gcc -std=c99 -O2 -DED_SPECIALIZE=0' },
  simulator: { seconds: Number(simSeconds.toFixed(3)), images_per_s: Math.round(set.count / simSeconds) },
  c_over_simulator: Number((simSeconds / specialized.seconds).toFixed(2)),
  specialized_over_generic: Number((generic.seconds / specialized.seconds).toFixed(2)),
  identical_logits: same(specializedLogits) && same(genericLogits),
  units: 'seconds of wall time for all images (C: minus one-image process start-up); images_per_s = images / seconds',
  machine: {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_average_1m: Number(os.loadavg()[0].toFixed(2)), node: process.version, compiler: gcc,
  },
  date: new Date().toISOString(),
}));
