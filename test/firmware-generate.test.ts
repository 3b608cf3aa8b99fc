import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  arrayDeclare, assertArenaPlanValid, chooseExampleDigit, cIdentifier, cString, ENGINE_DIR, generateFirmware, generateFromArtifactFile, generatorVersion,
  ENGINE_FILES, fusedPoolEligibility, hasTool, int32Literal, MODEL_ABI_VERSION, modelSteps, parseSizeSections, planArena, writeGeneratedFiles, type FirmwareSize,
} from '../firmware-gen/index.js';
import { recordSizeInReport } from '../src/cli/commands/firmware.js';
import { loadDigitSet } from '../src/data/index.js';
import type { Int8Model, QuantLayer, QuantParams } from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';

const CI = process.env.CI === 'true';
const DEFAULT_ARTIFACT = path.join('models', 'default', 'model.int8.json');
const COMMITTED = path.join('models', 'default', 'firmware');
const SHA = 'c'.repeat(64);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The default model's architecture (conv16-pool-conv32-pool-conv64-dense10) with random parameters. */
function cnnShapedModel(): Int8Model {
  const base = randomArtifact(7);
  const conv = (inShape: number[], oc: number, input: QuantParams): QuantLayer => {
    const ic = inShape[2];
    const out = { scale: 0.02, zeroPoint: -128 };
    return {
      op: 'conv2d', name: `c${oc}`, inShape, outShape: [inShape[0] - 2, inShape[1] - 2, oc], input: { scale: input.scale, zeroPoint: input.zeroPoint }, output: out,
      activationMin: -128, activationMax: 127, kernel: [3, 3], stride: [1, 1], padTop: 0, padLeft: 0, activation: 'relu',
      weights: Array.from({ length: oc * 9 * ic }, (_, i) => ((i * 37) % 255) - 127), weightScales: Array(oc).fill(0.01),
      bias: Array(oc).fill(100), multipliers: Array(oc).fill(1 << 30), shifts: Array(oc).fill(-8),
    };
  };
  const pool = (inShape: number[]): QuantLayer => ({
    op: 'maxpool', name: 'p', inShape, outShape: [Math.floor(inShape[0] / 2), Math.floor(inShape[1] / 2), inShape[2]],
    input: { scale: 0.02, zeroPoint: -128 }, output: { scale: 0.02, zeroPoint: -128 }, activationMin: -128, activationMax: 127, pool: [2, 2], stride: [2, 2],
  });
  return {
    ...base,
    layers: [conv([28, 28, 1], 16, base.input), pool([26, 26, 16]), conv([13, 13, 16], 32, { scale: 0.02, zeroPoint: -128 }), pool([11, 11, 32]),
      conv([5, 5, 32], 64, { scale: 0.02, zeroPoint: -128 })],
  };
}

describe('C emit helpers', () => {
  it('derive identifier-safe prefixes that cannot collide with engine symbols', () => {
    expect(cIdentifier('default')).toBe('default');
    expect(cIdentifier('My Model v2.1')).toBe('my_model_v2_1');
    expect(cIdentifier('9lives')).toBe('m_9lives');
    expect(cIdentifier('--')).toBe('model');
    expect(cIdentifier('ed')).toBe('m_ed');
    expect(cIdentifier('ed_model')).toBe('m_ed_model');
    expect(cIdentifier('Ünïcode')).toBe('n_code');
  });

  it('escape strings and write INT32_MIN without overflowing a constant', () => {
    expect(cString('a"b\\c?\n')).toBe('"a\\"b\\\\c\\077\\012"');
    expect(int32Literal(-2147483648)).toBe('(-2147483647 - 1)');
    expect(() => int32Literal(2147483648)).toThrow(/not an int32/);
  });

  it('range-check array values against their C type, naming the element', () => {
    expect(() => arrayDeclare({ type: 'int8_t', name: 'w', length: '3', values: [1, 128, 0], storage: 'const' })).toThrow('w[1] = 128 does not fit int8_t');
    expect(arrayDeclare({ type: 'int8_t', name: 'w', length: 'W_LEN', values: [1, -2, 3], storage: 'const' })).toBe('const int8_t w[W_LEN] = {\n     1,  -2,   3,\n};');
  });
});

describe('arena planning', () => {
  it('fuses each conv with the max-pool after it, places each step\'s output beside its input, and beats ping-pong buffers', () => {
    const model = cnnShapedModel();
    const plan = planArena(model);
    expect(plan.fusedPool).toEqual([true, false, true, false, false]);
    expect(plan.inPlace).toEqual([false, false, false, false, false]);
    // input 784 @ 0; conv1 + pool: 2704 after it (the conv's own 10816 B never exist); conv2 + pool: 800 after that; conv3 at 0
    expect(plan.tensors.map((t) => [t.offset, t.bytes])).toEqual([[0, 784], [784, 0], [784, 2704], [3488, 0], [3488, 800], [0, 576]]);
    expect(plan.bytes).toBe(784 + 2704 + 800);
    expect(plan.pingPongBytes).toBe(10816 + 2704);
    expect(() => assertArenaPlanValid(model, plan)).not.toThrow();
    expect(modelSteps(model).map((s) => [s.op, s.layers])).toEqual([['conv2d+maxpool', [0, 1]], ['conv2d+maxpool', [2, 3]], ['conv2d', [4]]]);
  });

  it('does not fuse where acc << shift could wrap, and then pools in place', () => {
    const model = structuredClone(cnnShapedModel());
    const conv = model.layers[0];
    if (conv.op !== 'conv2d') throw new Error('cnnShapedModel changed');
    conv.shifts[3] = 20;
    expect(fusedPoolEligibility(conv, model.layers[1] as Extract<QuantLayer, { op: 'maxpool' }>)).toEqual({ ok: false, reason: 'output channel 3: acc << 20 may wrap' });
    const plan = planArena(model);
    expect(plan.fusedPool).toEqual([false, false, true, false, false]);
    expect(plan.inPlace).toEqual([false, true, false, false, false]);
    expect(plan.tensors.slice(0, 3).map((t) => [t.offset, t.bytes])).toEqual([[0, 784], [784, 10816], [784, 2704]]);
  });

  it('catches a plan whose conv input and output overlap', () => {
    const model = cnnShapedModel();
    const plan = planArena(model);
    const broken = { ...plan, tensors: plan.tensors.map((t, i) => (i === 4 ? { ...t, offset: 1000 } : t)) };
    expect(() => assertArenaPlanValid(model, broken)).toThrow(/layers\[3\] \(p\) input \[784, \+2704\) overlaps output \[1000, \+800\)/);
  });
});

describe('generated model files', () => {
  const model = randomArtifact(5);
  const fw = generateFirmware(model, { artifactSha256: SHA });
  const header = fw.files.find((f) => f.path === `${fw.prefix}_model.h`)?.content ?? '';
  const source = fw.files.find((f) => f.path === `${fw.prefix}_model.c`)?.content ?? '';

  it('are byte-identical when generated twice (host and arduino)', () => {
    expect(generateFirmware(model, { artifactSha256: SHA }).files).toEqual(fw.files);
    const digit = chooseExampleDigit(model, loadDigitSet('mnist:test', 50));
    const a = generateFirmware(model, { artifactSha256: SHA, target: 'arduino', exampleDigit: digit });
    const b = generateFirmware(model, { artifactSha256: SHA, target: 'arduino', exampleDigit: chooseExampleDigit(model, loadDigitSet('mnist:test', 50)) });
    expect(b.files).toEqual(a.files);
  });

  it('open with a provenance banner and architecture table, and declare the ABI version', () => {
    expect(header).toMatch(/DO NOT EDIT/);
    expect(header).toContain(`edge-digits ${generatorVersion()}`);
    expect(header).toContain(`Artifact        sha256 ${SHA}`);
    expect(header).toContain(`(sha256 ${model.source.sha256})`);
    expect(header).toContain('Int8 accuracy   not measured');
    for (const l of model.layers) expect(header).toContain(`${l.inShape.join('x')} -> ${l.outShape.join('x')}`);
    expect(header).toContain(`#define MODEL_ABI_VERSION ${MODEL_ABI_VERSION}`);
    expect(header).toContain(`#define RANDOM5_ARENA_BYTES ${fw.plan.bytes}`);
    expect(header).not.toMatch(/\d{4}-\d{2}-\d{2}/); // no dates: output must not change from one day to the next
  });

  it('keep data in the .c file, declarations in the .h, one designated-initializer struct per layer', () => {
    expect(header).not.toMatch(/=\s*\{/);
    expect(source.match(/^static const ed_(conv2d|max_pool|fully_connected)_params random5_l\d+_\w+ = \{$/gm)).toHaveLength(model.layers.length);
    expect(source).toContain('  .pad_top = ');
    expect(source).not.toMatch(/\b(float|double|malloc)\b/);
  });

  it('report measured accuracy when the artifact has metrics', () => {
    const withMetrics: Int8Model = { ...model, metrics: { floatAccuracy: 0.99, int8Accuracy: 0.9875, agreementWithFloat: 0.998, images: 10000, data: 'mnist:test' } };
    const h = generateFirmware(withMetrics, { artifactSha256: SHA }).files.find((f) => f.path.endsWith('_model.h'))?.content;
    expect(h).toContain('Int8 accuracy   98.75% on 10000 images of mnist:test (float 99.00%, int8/float agreement 99.80%)');
  });

  it('refuse to compile against an engine of another ABI version', () => {
    if (!hasTool('gcc')) {
      if (CI) throw new Error('gcc missing under CI');
      console.warn('*** firmware-generate: gcc not found — SKIPPING the ABI #error check ***');
      return;
    }
    const tu = path.join(tmp, 'abi.c');
    writeFileSync(tu, '#define MODEL_ABI_VERSION 999\n#include "ed_engine.h"\nint main(void) { return 0; }\n');
    const r = spawnSync('gcc', ['-std=c99', '-fsyntax-only', '-I', ENGINE_DIR, tu], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('generated for another engine ABI');
  });
});

describe('writing generated files', () => {
  it('rewrites only changed files and removes stale generated ones, never anything else', () => {
    const dir = path.join(tmp, 'out');
    const first = generateFirmware({ ...randomArtifact(5), name: 'alpha' }, { artifactSha256: SHA }).files;
    expect(writeGeneratedFiles(dir, first).written).toHaveLength(first.length);
    writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    mkdirSync(path.join(dir, 'notes'));
    writeFileSync(path.join(dir, 'notes', 'alpha_model.c'), '/* hand-written, not generated */\n');
    const second = generateFirmware({ ...randomArtifact(5), name: 'beta' }, { artifactSha256: SHA }).files;
    const r = writeGeneratedFiles(dir, second);
    expect(r.removed.sort()).toEqual(['alpha_model.c', 'alpha_model.h']);
    expect(r.written.sort()).toEqual(['beta_model.c', 'beta_model.h']);
    expect(r.unchanged.sort()).toEqual([...ENGINE_FILES].sort());
    expect(existsSync(path.join(dir, 'main.c'))).toBe(true);
    expect(existsSync(path.join(dir, 'notes', 'alpha_model.c'))).toBe(true);
  });
});

describe('size report', () => {
  it('parses arm-none-eabi-size -A output', () => {
    const text = 'probe.elf  :\nsection            size        addr\n.isr_vector           8           0\n.text              1264           8\n.bss              11608   536870912\nTotal             12880\n';
    expect(Object.fromEntries(parseSizeSections(text))).toEqual({ '.isr_vector': 8, '.text': 1264, '.bss': 11608 });
  });

  it('is merged into report.json under "firmware", keeping every other key', () => {
    const dir = path.join(tmp, 'model');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ preset: 'cnn', firmware: { old: true }, accuracy: 0.99 }));
    const size = { flash_bytes: 1, ram_bytes: 2 } as unknown as FirmwareSize;
    expect(recordSizeInReport(path.join(dir, 'model.int8.json'), size)).toBe(path.join(dir, 'report.json'));
    expect(JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'))).toEqual({ preset: 'cnn', firmware: { flash_bytes: 1, ram_bytes: 2 }, accuracy: 0.99 });
    expect(recordSizeInReport(path.join(tmp, 'nowhere', 'model.int8.json'), size)).toBeNull();
  });
});

describe.runIf(existsSync(DEFAULT_ARTIFACT))('committed models/default/firmware', () => {
  it.each([['host'], ['arduino']] as const)('%s equals a fresh generation from models/default/model.int8.json', (target) => {
    const fresh = generateFromArtifactFile(DEFAULT_ARTIFACT, target);
    for (const f of fresh.files) {
      const committed = path.join(COMMITTED, target, ...f.path.split('/'));
      expect(existsSync(committed), `${committed} is missing: run edge-digits firmware --model ${DEFAULT_ARTIFACT} --out ${path.join(COMMITTED, target)}${target === 'arduino' ? ' --target arduino' : ''}`).toBe(true);
      expect(readFileSync(committed, 'utf8') === f.content, `${committed} differs from a fresh generation; regenerate it`).toBe(true);
    }
  }, 60_000);
});
