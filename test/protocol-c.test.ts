/**
 * The C board core (firmware-gen/protocol) against the golden vectors: compiled with gcc + ASan/UBSan into
 * test/c/protocol_harness.c, fed every fixture case, a C-only self test and thousands of seeded garbage streams;
 * and cross-compiled for the Cortex-M4 warning-free, with no libc calls beyond memset/strlen and no FPU code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FixtureBoard, FixtureCase, FixtureFile } from './fixtures/protocol/generate.js';
import { toolsPresent } from './tools.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CORE_DIR = join(ROOT, 'firmware-gen/protocol');
const CORE_SOURCES = ['ed_board.c', 'ed_codec.c'].map((f) => join(CORE_DIR, f));
const HARNESS = join(ROOT, 'test/c/protocol_harness.c');
const FUZZ_SEEDS = [1, 2, 3];
const FUZZ_STREAMS_PER_SEED = 1000;
const M4_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Os'];
const WARN_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror'];

/** Missing tools skip the test loudly, except under CI where they must be installed (test/tools.ts). */
function toolAvailable(tool: string, purpose: string): boolean {
  return toolsPresent(`protocol-c (${purpose})`, [tool]);
}

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/protocol', name), 'utf8')) as T;
}

function modeMask(modes: readonly number[]): number {
  return modes.reduce((mask, m) => mask | (1 << m), 0);
}

function caseLines(c: FixtureCase): string[] {
  const lines = [`case ${c.name} ${c.engine}`];
  for (const step of c.steps) {
    if ('feed' in step) lines.push(`feed ${step.feed}`);
    else if ('poll' in step) lines.push('poll');
    else lines.push('announce');
  }
  lines.push(`expect ${c.output}`, ...c.hal.map((h) => `hal ${h}`), 'end');
  return lines;
}

function buildVectors(): string {
  const board = readFixture<FixtureBoard>('board.json');
  const files = ['firmata.json', 'classify.json', 'errors.json'].map((f) => readFixture<FixtureFile>(f));
  const cases = files.flatMap((f) => f.cases);
  const good = cases.filter((c) => ['classify-seven', 'classify-zero', 'protocol-info'].includes(c.name));
  const lines = [
    `name ${board.firmwareName}`,
    ...board.pins.map((p) => `pin ${modeMask(p.modes)} ${p.analogChannel} ${p.analogBits} ${p.pwmBits}`),
    'selftest',
    ...cases.flatMap(caseLines),
    ...good.map((c) => `good ${'feed' in c.steps[0] ? c.steps[0].feed : ''} ${c.output}`),
    ...FUZZ_SEEDS.map((seed) => `fuzz ${seed} ${FUZZ_STREAMS_PER_SEED}`),
  ];
  return `${lines.join('\n')}\n`;
}

const work = mkdtempSync(join(tmpdir(), 'ed-protocol-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let harnessPath: string | undefined;

function compiledHarness(): string {
  if (harnessPath === undefined) {
    const exe = join(work, 'protocol_harness');
    execFileSync('gcc', [
      ...WARN_FLAGS, '-pedantic', '-g', '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
      '-I', CORE_DIR, HARNESS, ...CORE_SOURCES, '-o', exe,
    ], { stdio: 'pipe' });
    harnessPath = exe;
  }
  return harnessPath;
}

describe('C board core (gcc, ASan + UBSan)', () => {
  const haveGcc = toolAvailable('gcc', 'the C protocol harness');

  it.skipIf(!haveGcc)('passes every fixture case, the self tests and the garbage fuzz', () => {
    const exe = compiledHarness();
    const vectors = join(work, 'vectors.txt');
    writeFileSync(vectors, buildVectors());
    const run = spawnSync(exe, [vectors], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    const report = `${run.stdout}\n${run.stderr}`;
    expect(run.status, report).toBe(0);
    const fixtures = ['firmata.json', 'classify.json', 'errors.json'].map((f) => readFixture<FixtureFile>(f).cases.length);
    const total = fixtures.reduce((a, b) => a + b, 0);
    expect(run.stdout).toContain(`${total} cases, ${FUZZ_SEEDS.length * FUZZ_STREAMS_PER_SEED} fuzz streams, 0 failure(s)`);
  }, 60_000);

  it.skipIf(!haveGcc)('the harness notices a wrong expectation (the check can fail)', () => {
    const exe = compiledHarness();
    const board = readFixture<FixtureBoard>('board.json');
    const vectors = join(work, 'wrong.txt');
    const lines = [
      `name ${board.firmwareName}`,
      ...board.pins.map((p) => `pin ${modeMask(p.modes)} ${p.analogChannel} ${p.analogBits} ${p.pwmBits}`),
      'case wrong-version test', 'feed f9', 'expect f90206', 'end',
    ];
    writeFileSync(vectors, `${lines.join('\n')}\n`);
    const run = spawnSync(exe, [vectors], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('first difference at output byte 2');
  }, 60_000);
});

describe('C board core (arm-none-eabi-gcc, Cortex-M4)', () => {
  const haveArm = toolAvailable('arm-none-eabi-gcc', 'the Cortex-M4 build of the protocol core');

  it.skipIf(!haveArm)('compiles warning-free with -Werror, calls only memset/strlen and emits no FPU instructions', () => {
    for (const src of CORE_SOURCES) {
      const obj = join(work, `${src.split('/').pop()}.o`);
      execFileSync('arm-none-eabi-gcc', [...WARN_FLAGS, ...M4_FLAGS, '-c', src, '-o', obj], { stdio: 'pipe' });
      const undefinedSymbols = execFileSync('arm-none-eabi-nm', ['--undefined-only', obj], { encoding: 'utf8' })
        .split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter((s) => s !== '');
      for (const sym of undefinedSymbols) expect(['memset', 'strlen', 'ed_crc16', 'ed_crc16_update', 'ed_pack7', 'ed_unpack7', 'ed_packed_len']).toContain(sym);
      const disassembly = execFileSync('arm-none-eabi-objdump', ['-d', obj], { encoding: 'utf8' });
      expect(disassembly).not.toMatch(/\tv(add|sub|mul|div|cvt|mov|ldr|str)\./);
    }
  }, 60_000);
});
