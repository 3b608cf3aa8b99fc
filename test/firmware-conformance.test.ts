import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHostEngine, generateFromArtifactFile, hasTool, runHostEngine, sha256Hex } from '../firmware-gen/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { Simulator } from '../src/quantize/index.js';
import { runC } from '../src/cli/engines.js';

// The default model's generated C, compiled with sanitizers, must give the simulator's 10 logits on every one of
// 2,000 real test images. EDGE_DIGITS_FIRMWARE_ARTIFACT points the test at another artifact (development).
const ARTIFACT = process.env.EDGE_DIGITS_FIRMWARE_ARTIFACT ?? path.join('models', 'default', 'model.int8.json');
const IMAGES = 2000;
const CI = process.env.CI === 'true';
const ENGINE_MAIN = path.join('test', 'c', 'engine_main.c');
const CACHE = path.join(os.tmpdir(), 'edge-digits-test-c-engine');

const haveGcc = hasTool('gcc');
const haveArtifact = existsSync(ARTIFACT);
if (!haveGcc) console.warn('\n*** firmware-conformance: gcc not found — SKIPPING the C engine conformance tests (they fail under CI=true) ***\n');
if (!haveArtifact) console.warn(`\n*** firmware-conformance: ${ARTIFACT} does not exist yet — SKIPPING (train + quantize the default model; fails under CI=true) ***\n`);
const runnable = (haveGcc && haveArtifact) || CI;

function firstDifference(a: Int8Array, b: Int8Array): string {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return `image ${Math.floor(i / 10)} logit ${i % 10}: C ${a[i]} vs simulator ${b[i]}`;
  }
  return a.length === b.length ? 'none' : `lengths ${a.length} vs ${b.length}`;
}

describe.runIf(runnable)(`generated C for ${ARTIFACT}`, () => {
  // Built in beforeAll so that collecting a skipped suite never touches a missing artifact.
  let test: ReturnType<typeof loadDigitSet>;
  let fw: ReturnType<typeof generateFromArtifactFile>;
  let expected: { logits: Int8Array; digits: Uint8Array };
  beforeAll(() => {
    test = loadDigitSet('mnist:test', IMAGES);
    fw = generateFromArtifactFile(ARTIFACT, 'host');
    expected = new Simulator(fw.model).classifyMany(test.images, test.count);
  }, 60_000);

  // Sanitized runs cost ~5x; the generic kernels get fewer images here and full coverage in firmware-kernels.
  it.each([
    ['specialized kernels (default)', IMAGES, '1'],
    ['generic kernels (ED_SPECIALIZE=0)', 500, '0'],
  ])('ASan/UBSan build, %s: every logit of %i MNIST test images equals the simulator\'s', (_, n, specialize) => {
    const exe = buildHostEngine(fw, { main: ENGINE_MAIN, optimization: '-O1', sanitize: true, defines: { ED_SPECIALIZE: specialize }, cacheDir: CACHE });
    const c = runHostEngine(exe, test.images, n);
    expect(firstDifference(c.logits, expected.logits.subarray(0, n * 10))).toBe('none');
    expect(Array.from(c.digits)).toEqual(Array.from(expected.digits.subarray(0, n)));
  }, 120_000);

  it('refuses NULL arguments without writing, and describes the compiled-in model', () => {
    const exe = buildHostEngine(fw, { main: ENGINE_MAIN, optimization: '-O1', sanitize: true, cacheDir: CACHE });
    const nulls = spawnSync(exe, ['null-arguments'], { encoding: 'utf8' });
    expect(nulls.stdout).toContain('null-arguments: 0 failures');
    expect(nulls.status).toBe(0);
    const info = spawnSync(exe, ['describe'], { encoding: 'utf8' }).stdout.trim().split(' ');
    expect(info).toEqual([fw.model.name, sha256Hex(readFileSync(ARTIFACT)), String(fw.plan.bytes), String(fw.params), String(fw.macs)]);
  }, 60_000);

  it('--engine c (gcc -O2 batch driver) gives the simulator\'s logits and digits', async () => {
    const n = 300;
    const run = await runC(ARTIFACT, test.images, n, { backend: 'auto', log: () => undefined });
    expect(firstDifference(Int8Array.from(run.logits), expected.logits.subarray(0, n * 10))).toBe('none');
    expect(Array.from(run.predicted)).toEqual(Array.from(expected.digits.subarray(0, n)));
  }, 60_000);
});
