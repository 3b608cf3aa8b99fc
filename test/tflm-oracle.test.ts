/**
 * The engine's reference kernels (ed_conv.h with and without a fused max-pool, ed_max_pool.h, ed_fully_connected.h)
 * and the portable packed conv loop against TensorFlow Lite Micro's own reference kernels (../shared/tflm, unchanged)
 * on random shapes and values, compiled with ASan/UBSan (test/c/tflm_oracle_main.cc). The DSP kernels are held to
 * these reference kernels on the emulated Cortex-M4 (test/qemu-dsp.test.ts), so TFLM is the oracle for all of them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTool } from '../firmware-gen/cached-build.js';
import { ENGINE_DIR, hasTool, SANITIZER_FLAGS } from '../firmware-gen/index.js';
import { TFLM_DIR } from '../firmware-gen/targets/mps2/build.js';

const CI = process.env.CI === 'true';
const missing = [...(hasTool('g++') ? [] : ['g++']), ...(existsSync(TFLM_DIR) ? [] : [TFLM_DIR])];
if (missing.length) console.warn(`\n*** tflm-oracle: ${missing.join(', ')} missing — SKIPPING the TFLM oracle test (it fails under CI=true) ***\n`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-tflm-oracle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(missing.length === 0 || CI)('reference kernels vs TFLite Micro\'s', () => {
  it('agree byte for byte on random conv (plain, fused with a max-pool, packed), max-pool and dense cases', () => {
    const exe = path.join(tmp, 'oracle');
    const internal = path.join(TFLM_DIR, 'tensorflow', 'lite', 'kernels', 'internal');
    runTool('g++', ['-O1', '-std=c++17', ...SANITIZER_FLAGS, '-DTF_LITE_STATIC_MEMORY', '-I', TFLM_DIR, '-I', ENGINE_DIR,
      path.join('test', 'c', 'tflm_oracle_main.cc'), path.join(internal, 'common.cc'), path.join(internal, 'runtime_shape.cc'), '-o', exe], 'compiling the TFLM oracle');
    const checks = runTool(exe, [], 'running the TFLM oracle').trim().split('\n').map((l) => JSON.parse(l) as { name: string; cases: number; mismatches: number; first: number });
    expect(checks.map((c) => c.name)).toEqual(['conv2d', 'conv2d-max-pool', 'conv2d-packed', 'conv2d-max-pool-packed', 'maxpool', 'dense']);
    for (const c of checks) {
      expect(c.cases, c.name).toBeGreaterThanOrEqual(500);
      expect({ name: c.name, mismatches: c.mismatches, first: c.first }).toEqual({ name: c.name, mismatches: 0, first: -1 });
    }
  }, 120_000);
});
