/**
 * The Arduino library `firmware --target arduino` writes, rule by rule (Arduino Library Specification 1.5 rev 2.2,
 * arduino-lint's library.properties schema, PlatformIO's library.json manifest), then built: cross-compiled for
 * the Cortex-M4 (stand-in Arduino.h), two model libraries linked into one host program, and the real Nano 33 BLE
 * core (../shared/arduino-core, compile.sh, -Wall -Wextra -Werror) with an arm-none-eabi-nm check of the symbols.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARDUINO_EXAMPLES, arduinoExamplePath, arduinoLibraryName, arduinoLibraryZip, arduinoPublicHeader, chooseExampleDigit, CORTEX_M4_FLAGS,
  FLASH_LIMIT_BYTES, generateFirmware, hasTool, measureFirmwareSize, RAM_LIMIT_BYTES, sha256Hex, STRICT_C_FLAGS, writeGeneratedFiles,
  type GeneratedFirmware,
} from '../firmware-gen/index.js';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator, type Int8Model } from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';

const CI = process.env.CI === 'true';
const DEFAULT_ARTIFACT = path.join('models', 'default', 'model.int8.json');
const SHARED_CORE = path.resolve('..', 'shared', 'arduino-core');
const haveArm = hasTool('arm-none-eabi-gcc') && hasTool('arm-none-eabi-g++');
if (!haveArm) console.warn('\n*** firmware-arduino: arm-none-eabi-gcc/g++ not found — SKIPPING the Cortex-M4 builds (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi; they fail under CI=true) ***\n');

function modelUnderTest(): { model: Int8Model; sha: string; isDefault: boolean } {
  if (existsSync(DEFAULT_ARTIFACT)) return { model: loadArtifact(DEFAULT_ARTIFACT), sha: sha256Hex(readFileSync(DEFAULT_ARTIFACT)), isDefault: true };
  return { model: randomArtifact(4), sha: 'b'.repeat(64), isDefault: false };
}

function run(tool: string, args: string[], o: { cwd?: string } = {}): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', ...o });
  expect(r.error, `${tool} could not run`).toBeUndefined();
  expect(r.status, `${tool} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function compile(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  expect(r.error, `${tool} could not run`).toBeUndefined();
  expect(r.status, `${tool} ${args.join(' ')}\n${r.stderr}`).toBe(0);
  expect(r.stderr, 'no warnings either').toBe('');
}

function listTree(dir: string, base = ''): string[] {
  return readdirSync(path.join(dir, base), { withFileTypes: true }).flatMap((e) => {
    const rel = base ? `${base}/${e.name}` : e.name;
    return e.isDirectory() ? listTree(dir, rel) : [rel];
  });
}

function properties(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    m.set(line.slice(0, at), line.slice(at + 1));
  }
  return m;
}

const { model, sha, isDefault } = modelUnderTest();
const digit = chooseExampleDigit(model, loadDigitSet('mnist:test', 200));
const fw: GeneratedFirmware = generateFirmware(model, { artifactSha256: sha, target: 'arduino', exampleDigit: digit });
const lib = arduinoLibraryName(fw.prefix);
const out = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-arduino-'));
const dir = path.join(out, lib);
writeGeneratedFiles(out, fw.files);
afterAll(() => rmSync(out, { recursive: true, force: true }));
const read = (rel: string): string => readFileSync(path.join(dir, rel), 'utf8');

describe('Arduino library rules', () => {
  it('layout: one folder named after the library, metadata at its root, the public header alone in src/, internals in a subfolder, examples/<Name>/<Name>.ino', () => {
    expect(readdirSync(out)).toEqual([lib]);
    const files = listTree(dir);
    for (const f of ['library.properties', 'library.json', 'README.md', 'LICENSE']) expect(files).toContain(f);
    expect(files.filter((f) => /^src\/[^/]+$/.test(f))).toEqual([`src/${arduinoPublicHeader(fw.prefix)}`]);
    expect(files.filter((f) => f.startsWith('src/internal/')).length).toBeGreaterThan(10);
    for (const name of ARDUINO_EXAMPLES) expect(files).toContain(arduinoExamplePath(name));
    expect(files.every((f) => f.startsWith('src/') || f.startsWith('examples/') || !f.includes('/'))).toBe(true);
  });

  it('library.properties: every field the spec requires or the Library Manager reads, each valid', () => {
    const p = properties(read('library.properties'));
    const name = p.get('name') ?? '';
    expect(name).toBe(lib);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).not.toMatch(/^Arduino/i);
    expect(p.get('version')).toMatch(/^\d+\.\d+\.\d+(\+[0-9A-Za-z.-]+)?$/);
    expect(p.get('author')).toBeTruthy();
    expect(p.get('maintainer')).toMatch(/^.+ <[^<>\s]+@[^<>\s]+>$/);
    expect(p.get('sentence')).toBeTruthy();
    expect(p.get('paragraph')).toBeTruthy();
    expect(['Display', 'Communication', 'Signal Input/Output', 'Sensors', 'Device Control', 'Timing', 'Data Storage', 'Data Processing', 'Other']).toContain(p.get('category'));
    expect(p.get('url')).toMatch(/^https?:\/\/\S+$/);
    expect(p.get('architectures')).toBe('*');
    const includes = (p.get('includes') ?? '').split(',').map((s) => s.trim());
    for (const h of includes) expect(existsSync(path.join(dir, 'src', h)), h).toBe(true);
  });

  it('the version and the name change with the model; generating twice is byte-identical', () => {
    const other = generateFirmware(model, { artifactSha256: 'c'.repeat(64), target: 'arduino', exampleDigit: digit });
    const version = (f: GeneratedFirmware): string | undefined => properties(f.files.find((x) => x.path.endsWith('/library.properties'))?.content ?? '').get('version');
    expect(version(other)).not.toBe(version(fw));
    const renamed = generateFirmware({ ...model, name: 'other digits' }, { artifactSha256: sha, target: 'arduino', exampleDigit: digit });
    expect(arduinoLibraryName(renamed.prefix)).toBe('EdgeDigits_other_digits');
    const again = generateFirmware(model, { artifactSha256: sha, target: 'arduino', exampleDigit: digit });
    expect(again.files).toEqual(fw.files);
  });

  it('library.json: a PlatformIO manifest that agrees with library.properties', () => {
    const j = JSON.parse(read('library.json')) as Record<string, unknown>;
    const p = properties(read('library.properties'));
    expect(j.name).toBe(p.get('name'));
    expect(j.version).toBe(p.get('version'));
    expect(j.frameworks).toBe('arduino');
    expect(j.platforms).toBe('*');
    expect(j.license).toBe('MIT');
    expect(j.homepage).toBe(p.get('url'));
    expect((j.authors as { email?: string; maintainer?: boolean }[]).some((a) => a.maintainer && /@/.test(a.email ?? ''))).toBe(true);
    expect(existsSync(path.join(dir, 'src', j.headers as string))).toBe(true);
    for (const e of j.examples as { base: string; files: string[] }[]) for (const f of e.files) expect(existsSync(path.join(dir, e.base, f))).toBe(true);
  });

  it('README and LICENSE are there and say what they should', () => {
    expect(read('README.md')).toContain(`#include <${arduinoPublicHeader(fw.prefix)}>`);
    expect(read('README.md')).toContain('BoardLink');
    expect(read('LICENSE')).toMatch(/^MIT License/);
  });

  it('every C header that declares functions has extern "C" guards; the public header pulls in no internals', () => {
    for (const f of listTree(dir).filter((x) => x.endsWith('.h'))) {
      const text = read(f);
      if (!/^[A-Za-z_][\w \t*]*\b\w+\s*\([^;{]*\)\s*;/m.test(text)) continue;
      expect(text, f).toMatch(/#ifdef __cplusplus\s*\nextern "C" \{/);
    }
    const pub = read(`src/${arduinoPublicHeader(fw.prefix)}`);
    expect(pub.match(/#include\s+\S+/g)).toEqual(['#include <stdint.h>']);
  });

  it('every shipped C file is in one per-model symbol namespace (ed_prefix.h first)', () => {
    for (const f of listTree(dir).filter((x) => x.startsWith('src/internal/') && /\.(c|cpp|h)$/.test(x) && !x.endsWith('ed_prefix.h') && !x.endsWith('ed_library.h') && !x.endsWith('_api.c'))) {
      expect(read(f).split('\n', 2).join('\n'), f).toContain('#include "ed_prefix.h"');
    }
  });

  it('--zip: one folder at the archive root that unzip extracts to exactly the library', () => {
    const zip = arduinoLibraryZip(fw.files);
    expect(Buffer.from(arduinoLibraryZip(fw.files)).equals(Buffer.from(zip))).toBe(true);
    const zipPath = path.join(out, '..', `${path.basename(out)}.zip`);
    writeFileSync(zipPath, zip);
    const extract = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-unzip-'));
    try {
      if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status !== 0 && !CI) {
        console.warn('\n*** firmware-arduino: unzip not found — SKIPPING the zip extraction check (fails under CI=true) ***\n');
        return;
      }
      run('unzip', ['-t', zipPath]);
      run('unzip', ['-q', zipPath, '-d', extract]);
      expect(readdirSync(extract)).toEqual([lib]);
      const files = listTree(path.join(extract, lib)).sort();
      expect(files).toEqual(listTree(dir).sort());
      for (const f of files) expect(readFileSync(path.join(extract, lib, f), 'utf8'), f).toBe(read(f));
    } finally {
      rmSync(extract, { recursive: true, force: true });
      rmSync(zipPath, { force: true });
    }
  });

  it('the CLI: firmware --target arduino --zip --json writes the library folder and its zip', () => {
    if (!isDefault) return;
    const cliOut = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-cli-arduino-'));
    try {
      const stdout = run(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'main.ts'), 'firmware', '--model', DEFAULT_ARTIFACT, '--out', cliOut, '--target', 'arduino', '--zip', '--json']);
      const j = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { zip?: string; files?: string[] };
      expect(j.zip).toBe(path.join(cliOut, `${lib}.zip`));
      expect(existsSync(j.zip as string)).toBe(true);
      expect(j.files).toContain(`${lib}/library.properties`);
      expect(readdirSync(cliOut).sort()).toEqual([lib, `${lib}.zip`]);
      // The committed copy is what the generator makes today.
      const committed = path.join('models', 'default', 'firmware', 'arduino', lib);
      for (const f of listTree(path.join(cliOut, lib))) expect(readFileSync(path.join(committed, f), 'utf8'), `committed ${f} is stale: regenerate`).toBe(readFileSync(path.join(cliOut, lib, f), 'utf8'));
      expect(readFileSync(path.join('models', 'default', 'firmware', 'arduino', `${lib}.zip`)).equals(readFileSync(j.zip as string))).toBe(true);
    } finally {
      rmSync(cliOut, { recursive: true, force: true });
    }
  }, 120_000);

  it('the example carries a real test digit, its label, and the simulator\'s logits for it', () => {
    const ino = read(arduinoExamplePath('ClassifyDigit'));
    const pixels = /kDigitPixels\[\w+\] = \{([^}]*)\}/.exec(ino)?.[1].match(/\d+/g)?.map(Number);
    expect(pixels).toEqual(Array.from(digit.pixels));
    expect(ino).toContain(`static const int kDigitLabel = ${digit.label};`);
    const logits = /kExpectedLogits\[\w+\] = \{([^}]*)\}/.exec(ino)?.[1].match(/-?\d+/g)?.map(Number);
    expect(logits).toEqual(Array.from(new Simulator(model).classify(Uint8Array.from(pixels ?? [])).logits));
  });
});

describe.runIf(hasTool('gcc') || CI)('two model libraries in one program (host gcc)', () => {
  it('link together without a duplicate symbol, and each classifies with its own model, equal to the simulator', () => {
    const second: Int8Model = { ...randomArtifact(7), name: 'second' };
    const fw2 = generateFirmware(second, { artifactSha256: 'd'.repeat(64), target: 'arduino', exampleDigit: chooseExampleDigit(second, loadDigitSet('mnist:test', 50)) });
    const work = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-two-'));
    try {
      writeGeneratedFiles(work, [...fw.files, ...fw2.files]);
      const images = loadDigitSet('mnist:test', 8).images;
      const main = [
        '#include <stdio.h>',
        `#include "${arduinoPublicHeader(fw.prefix)}"`,
        `#include "${arduinoPublicHeader(fw2.prefix)}"`,
        `static const uint8_t images[8][784] = {${Array.from({ length: 8 }, (_, k) => `{${Array.from(images.subarray(k * 784, (k + 1) * 784)).join(',')}}`).join(',')}};`,
        'int main(void) {',
        '  for (int k = 0; k < 8; k++) {',
        '    int8_t a[10], b[10]; uint8_t da, db;',
        `    if (${fw.prefix}_classify(images[k], a, &da) != 0 || ${fw2.prefix}_classify(images[k], b, &db) != 0) return 1;`,
        '    for (int i = 0; i < 10; i++) printf("%d ", a[i]);',
        '    printf("| ");',
        '    for (int i = 0; i < 10; i++) printf("%d ", b[i]);',
        '    printf("\\n");',
        '  }',
        '  return 0;',
        '}',
      ].join('\n');
      writeFileSync(path.join(work, 'main.c'), main);
      const sources = [fw, fw2].flatMap((f) => {
        const internal = path.join(work, arduinoLibraryName(f.prefix), 'src', 'internal');
        return readdirSync(internal).filter((n) => n.endsWith('.c')).map((n) => path.join(internal, n));
      });
      const exe = path.join(work, 'two');
      compile('gcc', [...STRICT_C_FLAGS, '-O1', ...[fw, fw2].map((f) => `-I${path.join(work, arduinoLibraryName(f.prefix), 'src')}`), path.join(work, 'main.c'), ...sources, '-o', exe]);
      const lines = run(exe, []).trim().split('\n');
      const simA = new Simulator(model).classifyMany(images, 8).logits;
      const simB = new Simulator(second).classifyMany(images, 8).logits;
      lines.forEach((line, k) => {
        const [a, b] = line.split('|').map((s) => s.trim().split(/\s+/).map(Number));
        expect(a).toEqual(Array.from(simA.subarray(k * 10, (k + 1) * 10)));
        expect(b).toEqual(Array.from(simB.subarray(k * 10, (k + 1) * 10)));
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.runIf(haveArm || CI)('arduino target on the Cortex-M4 toolchain', () => {
  it('engine + model compile with arm-none-eabi-gcc -Wall -Wextra -Werror -std=c99 for cortex-m4', () => {
    for (const src of fw.cSources) {
      compile('arm-none-eabi-gcc', [...CORTEX_M4_FLAGS, ...STRICT_C_FLAGS, '-I', path.join(out, fw.includeDir), '-c', path.join(out, src), '-o', path.join(out, `${path.basename(src)}.o`)]);
    }
  }, 60_000);

  it('ClassifyDigit.ino compiles with arm-none-eabi-g++ against the stand-in Arduino.h', () => {
    compile('arm-none-eabi-g++', [
      ...CORTEX_M4_FLAGS, '-std=gnu++14', '-fno-exceptions', '-fno-rtti', '-Wall', '-Wextra', '-Werror', '-x', 'c++',
      // The Arduino builder prepends #include <Arduino.h> to a sketch; so does this.
      '-include', 'Arduino.h', '-I', path.join('test', 'fixtures', 'arduino'), '-I', path.join(dir, 'src'), '-c', path.join(dir, arduinoExamplePath('ClassifyDigit')), '-o', path.join(out, 'sketch.o'),
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

// The real core: headers of ArduinoCore-mbed 4.6.0 for the Nano 33 BLE, and its flag files, through compile.sh.
const realCoreMissing = [
  ...(existsSync(path.join(SHARED_CORE, 'compile.sh')) ? [] : [SHARED_CORE]),
  ...(haveArm ? [] : ['arm-none-eabi-gcc/g++']),
  ...(hasTool('arm-none-eabi-nm') ? [] : ['arm-none-eabi-nm']),
];
// <cstdio> comes from Debian's libstdc++-arm-none-eabi-newlib; without it the core's headers do not compile.
const cstdioProbe = haveArm ? spawnSync('arm-none-eabi-g++', ['-x', 'c++', '-E', '-', '-o', '/dev/null'], { input: '#include <cstdio>\n', encoding: 'utf8' }) : null;
if (cstdioProbe && cstdioProbe.status !== 0) realCoreMissing.push('libstdc++-arm-none-eabi-newlib (<cstdio>)');
if (realCoreMissing.length) console.warn(`\n*** firmware-arduino real core: ${realCoreMissing.join(', ')} missing — SKIPPING (fails under CI=true) ***\n`);

describe.runIf(realCoreMissing.length === 0 || CI)('the library and both examples against the real Nano 33 BLE core (-Wall -Wextra -Werror)', () => {
  for (const example of ARDUINO_EXAMPLES) {
    it(`${example}: compiles with no warning, and every library symbol it references is unmangled and defined by the library's own objects`, () => {
      const build = path.join(out, `core-${example}`);
      mkdirSync(build, { recursive: true });
      run('bash', [path.join(SHARED_CORE, 'compile.sh'), dir, path.join(dir, arduinoExamplePath(example)), build, '-Wall -Wextra -Werror']);
      for (const log of readdirSync(build).filter((f) => f.endsWith('.log'))) expect(readFileSync(path.join(build, log), 'utf8'), log).toBe('');
      const sketchObject = path.join(build, `${example}.ino.cpp.o`);
      const libObjects = readdirSync(build).filter((f) => f.endsWith('.o') && f !== `${example}.ino.cpp.o`).map((f) => path.join(build, f));
      const undefinedInSketch = run('arm-none-eabi-nm', ['-u', sketchObject]).split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean);
      const defined = new Set(libObjects.flatMap((o) => run('arm-none-eabi-nm', ['--defined-only', '-g', o]).split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean)));
      // The library's symbols all carry the prefix; a mangled one (_Z…<prefix>…) means a header without extern "C".
      const fromLibrary = undefinedInSketch.filter((s) => s.startsWith(`${fw.prefix}_`) || s.includes(fw.prefix));
      expect(fromLibrary.length).toBeGreaterThan(0);
      for (const s of fromLibrary) {
        expect(s, 'mangled library symbol').not.toMatch(/^_Z/);
        expect(defined.has(s), `${s} is not defined by the library's objects`).toBe(true);
      }
      // Two models in one sketch: nothing global the library defines may lack the prefix.
      expect([...defined].filter((s) => !s.startsWith(`${fw.prefix}_`))).toEqual([]);
    }, 600_000);
  }
});
