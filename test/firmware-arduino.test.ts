import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARDUINO_EXAMPLE_PATH, chooseExampleDigit, CORTEX_M4_FLAGS, FLASH_LIMIT_BYTES, generateFirmware,
  measureFirmwareSize, RAM_LIMIT_BYTES, sha256Hex, STRICT_C_FLAGS, writeGeneratedFiles, type GeneratedFirmware,
} from '../firmware-gen/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator, type Int8Model } from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';
import { toolsPresent } from './tools.js';

// Cross-compiles what `firmware --target arduino` produces for the Nano 33 BLE's Cortex-M4F, against a stand-in
// Arduino.h, and checks the --size figures. Uses the default model when it exists, else a small random artifact.
const DEFAULT_ARTIFACT = path.join('models', 'default', 'model.int8.json');
const haveArm = toolsPresent('firmware-arduino (Cortex-M4 builds)', ['arm-none-eabi-gcc', 'arm-none-eabi-g++']);

function modelUnderTest(): { model: Int8Model; sha: string; isDefault: boolean } {
  if (existsSync(DEFAULT_ARTIFACT)) return { model: loadArtifact(DEFAULT_ARTIFACT), sha: sha256Hex(readFileSync(DEFAULT_ARTIFACT)), isDefault: true };
  return { model: randomArtifact(4), sha: 'b'.repeat(64), isDefault: false };
}

function compile(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  expect(r.error, `${tool} could not run`).toBeUndefined();
  expect(r.status, `${tool} ${args.join(' ')}\n${r.stderr}`).toBe(0);
  expect(r.stderr, 'no warnings either').toBe('');
}

describe.runIf(haveArm)('arduino target on the Cortex-M4 toolchain', () => {
  const { model, sha, isDefault } = modelUnderTest();
  const digit = chooseExampleDigit(model, loadDigitSet('mnist:test', 200));
  const fw: GeneratedFirmware = generateFirmware(model, { artifactSha256: sha, target: 'arduino', exampleDigit: digit });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-arduino-'));
  writeGeneratedFiles(dir, fw.files);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lays out an Arduino library: library.properties, src/ with engine + model + umbrella header, one example', () => {
    const paths = fw.files.map((f) => f.path);
    expect(paths).toContain('library.properties');
    expect(paths).toContain('src/EdgeDigits.h');
    expect(paths).toContain(`src/${fw.prefix}_model.c`);
    expect(paths).toContain(ARDUINO_EXAMPLE_PATH);
    const props = readFileSync(path.join(dir, 'library.properties'), 'utf8');
    expect(props).toMatch(/^name=EdgeDigits$/m);
    expect(props).toMatch(/^includes=EdgeDigits\.h$/m);
  });

  it('the example carries a real test digit, its label, and the simulator\'s logits for it', () => {
    const ino = readFileSync(path.join(dir, ARDUINO_EXAMPLE_PATH), 'utf8');
    const pixels = /kDigitPixels\[ED_INPUT_PIXELS\] = \{([^}]*)\}/.exec(ino)?.[1].match(/\d+/g)?.map(Number);
    expect(pixels).toEqual(Array.from(digit.pixels));
    expect(ino).toContain(`static const int kDigitLabel = ${digit.label};`);
    const logits = /kExpectedLogits\[ED_NUM_CLASSES\] = \{([^}]*)\}/.exec(ino)?.[1].match(/-?\d+/g)?.map(Number);
    expect(logits).toEqual(Array.from(new Simulator(model).classify(Uint8Array.from(pixels ?? [])).logits));
  });

  it('engine + model compile with arm-none-eabi-gcc -Wall -Wextra -Werror -std=c99 for cortex-m4', () => {
    for (const src of fw.cSources) {
      compile('arm-none-eabi-gcc', [...CORTEX_M4_FLAGS, ...STRICT_C_FLAGS, '-I', path.join(dir, 'src'), '-c', path.join(dir, src), '-o', path.join(dir, `${path.basename(src)}.o`)]);
    }
  }, 60_000);

  it('ClassifyDigit.ino compiles with arm-none-eabi-g++ against the stand-in Arduino.h', () => {
    compile('arm-none-eabi-g++', [
      ...CORTEX_M4_FLAGS, '-std=gnu++14', '-fno-exceptions', '-fno-rtti', '-Wall', '-Wextra', '-Werror', '-x', 'c++',
      '-I', path.join('test', 'fixtures', 'arduino'), '-I', path.join(dir, 'src'), '-c', path.join(dir, ARDUINO_EXAMPLE_PATH), '-o', path.join(dir, 'sketch.o'),
    ]);
  }, 60_000);

  it(`--size: linked flash and RAM are reported${isDefault ? ` and within ${FLASH_LIMIT_BYTES} / ${RAM_LIMIT_BYTES} bytes for the default model` : ''}`, () => {
    const size = measureFirmwareSize(fw);
    expect(size.arena_bytes).toBe(fw.plan.bytes);
    expect(size.ram_bytes).toBe(size.sections.data + size.sections.bss);
    expect(size.ram_bytes).toBeGreaterThanOrEqual(size.arena_bytes);
    expect(size.flash_bytes).toBeGreaterThan(size.model_const_bytes);
    const weightBytes = model.layers.reduce((a, l) => a + (l.op === 'maxpool' || l.op === 'logistic' ? 0 : l.weights.length + 4 * l.bias.length * 2 + l.shifts.length), 0);
    expect(size.model_const_bytes).toBe(weightBytes);
    if (isDefault) expect(size.within_limits).toBe(true);
  }, 60_000);
});
