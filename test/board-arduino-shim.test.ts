/**
 * BoardLink.ino, run: the generated Arduino library's BoardLink example and its HAL (the product) compiled for this
 * machine against the host Arduino shim (test/arduino-shim: Serial as the Nano 33 BLE's USB CDC behaves — DTR
 * gating, 64-byte packets, a 256-byte receive ring — on a pty; micros; pins logged). Then the board-link suite
 * against it: johnny-five ready, an LED toggled, 2,000 MNIST test images with logits equal to the simulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arduinoExamplePath, arduinoLibraryName, chooseExampleDigit, generateFirmware, sha256Hex, STRICT_C_FLAGS, writeGeneratedFiles,
} from '../firmware-gen/index.js';
import { runTool } from '../firmware-gen/cached-build.js';
import { loadDigitSet } from '../src/data/index.js';
import { DigitBoard, parsePinLog, parsePortLine } from '../src/device/index.js';
import { loadArtifact } from '../src/quantize/index.js';
import { ARTIFACT, Led, canRun, imageAt, logitsAt, reference, tempDir, waitUntil } from './board-support.js';

const runnable = canRun('board-arduino-shim', ['gcc', 'g++']);
const SHIM_DIR = path.join('test', 'arduino-shim');
const POSIX_DIR = path.join('firmware-gen', 'targets', 'posix');

/** Compiles library + sketch + shim into one host program; C as C99 and C++ as gnu++14, -Wall -Wextra -Werror. */
function buildShimBoard(work: string): { exe: string; libraryName: string } {
  const model = loadArtifact(ARTIFACT);
  const digit = chooseExampleDigit(model, loadDigitSet('mnist:test', 200));
  const fw = generateFirmware(model, { artifactSha256: sha256Hex(readFileSync(ARTIFACT)), target: 'arduino', exampleDigit: digit });
  const lib = path.join(work, 'lib');
  writeGeneratedFiles(lib, fw.files);
  const libraryName = arduinoLibraryName(fw.prefix);
  const src = path.join(lib, libraryName, 'src');
  const internal = path.join(src, 'internal');
  const obj = path.join(work, 'obj');
  mkdirSync(obj, { recursive: true });
  const cxx = ['-std=gnu++14', '-Wall', '-Wextra', '-Werror', '-O2', '-D_XOPEN_SOURCE=700', '-I', SHIM_DIR, '-I', POSIX_DIR, '-I', src];
  const objects: string[] = [];
  for (const f of readdirSync(internal)) {
    const o = path.join(obj, `${f}.o`);
    if (f.endsWith('.c')) runTool('gcc', [...STRICT_C_FLAGS, '-O2', '-I', internal, '-c', path.join(internal, f), '-o', o], `compiling ${f}`);
    else if (f.endsWith('.cpp')) runTool('g++', [...cxx, '-I', internal, '-c', path.join(internal, f), '-o', o], `compiling ${f}`);
    else continue;
    objects.push(o);
  }
  // What the Arduino builder does to a sketch: #include <Arduino.h> first, then the .ino as C++.
  const ino = path.join(lib, libraryName, arduinoExamplePath('BoardLink'));
  const sketch = path.join(work, 'BoardLink.ino.cpp');
  writeFileSync(sketch, `#include <Arduino.h>\n#line 1 "BoardLink.ino"\n${readFileSync(ino, 'utf8')}`);
  runTool('g++', [...cxx, '-c', sketch, '-o', path.join(obj, 'sketch.o')], 'compiling BoardLink.ino');
  runTool('gcc', [...STRICT_C_FLAGS, '-O2', '-D_XOPEN_SOURCE=700', '-c', path.join(POSIX_DIR, 'posix_pty.c'), '-o', path.join(obj, 'posix_pty.o')], 'compiling posix_pty.c');
  runTool('g++', [...cxx, '-c', path.join(SHIM_DIR, 'shim.cpp'), '-o', path.join(obj, 'shim.o')], 'compiling the shim');
  const exe = path.join(work, 'boardlink-shim');
  runTool('g++', [...objects, path.join(obj, 'sketch.o'), path.join(obj, 'posix_pty.o'), path.join(obj, 'shim.o'), '-o', exe], 'linking');
  return { exe, libraryName };
}

describe.runIf(runnable)('BoardLink.ino on the host Arduino shim', () => {
  let child: ChildProcess;
  let board: DigitBoard;
  let pinLog: string;
  let libraryName: string;
  let stderr = '';

  beforeAll(async () => {
    const work = tempDir('ed-arduino-shim-');
    const built = buildShimBoard(work);
    libraryName = built.libraryName;
    pinLog = path.join(work, 'pins.jsonl');
    child = spawn(built.exe, ['--pin-log', pinLog], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
    await waitUntil(`the shim's port line (stderr: ${stderr})`, () => parsePortLine(stdout) !== null, 10_000);
    board = await DigitBoard.connect(parsePortLine(stdout) as string, { reconnect: false });
  }, 180_000);

  afterAll(async () => {
    await board?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('johnny-five is ready on the sketch: firmware name, the Nano 33 BLE pin table, protocol 1.x', () => {
    expect(board.board.isReady).toBe(true);
    expect(board.info.firmwareName).toBe(libraryName);
    expect(board.info.pins).toBe(25);
    expect(board.info.analogPins).toBe(8);
    expect(board.info.protocol.protocolMajor).toBe(1);
    expect(board.io.pins[13].supportedModes).toEqual([0, 1, 11]);
    expect(board.io.pins[22].supportedModes).toEqual([1]);
  });

  it('an LED toggled through johnny-five reaches the pin (LED_BUILTIN high, then low)', async () => {
    const led = new Led({ pin: 13, board: board.board });
    led.on();
    await waitUntil('pin 13 high in the pin log', () => parsePinLog(readFileSync(pinLog, 'utf8')).some((e) => e.event === 'write' && e.pin === 13 && e.value === 1), 5000);
    led.off();
    await waitUntil('pin 13 low again', () => {
      const writes = parsePinLog(readFileSync(pinLog, 'utf8')).filter((e) => e.event === 'write' && e.pin === 13);
      return writes.length >= 2 && writes[writes.length - 1].value === 0;
    }, 5000);
    const events = parsePinLog(readFileSync(pinLog, 'utf8'));
    expect(events.some((e) => e.event === 'mode' && e.pin === 13 && e.mode === 1)).toBe(true);
    // The RGB LED is active low: the HAL set it up unlit (high) at begin().
    for (const pin of [22, 23, 24]) expect(events.find((e) => e.event === 'write' && e.pin === pin)?.value).toBe(1);
  });

  it('2,000 MNIST test images: every logit equal to the simulator', async () => {
    const count = 2000;
    const ref = reference(count);
    const images = (function* () {
      for (let i = 0; i < count; i++) yield imageAt(ref.images, i);
    })();
    let same = 0;
    const t0 = performance.now();
    for await (const o of board.classifyMany(images, { window: 4 })) {
      expect(o.ok, o.ok ? '' : o.error.message).toBe(true);
      if (o.ok && Array.from(o.logits).join() === logitsAt(ref.logits, o.index).join()) same++;
    }
    expect(same).toBe(count);
    console.log(`board-arduino-shim: ${count}/${count} equal to the simulator, ${(count / ((performance.now() - t0) / 1000)).toFixed(0)} images/s; status ${JSON.stringify(board.status)}`);
  }, 300_000);
});
