/**
 * End to end over a real pty: the virtual board built from the model's generated firmware, reached through
 * serialport v13 + firmata-io + johnny-five. johnny-five gets `ready`, an Led on pin 13 toggles the simulated pin,
 * and 500 MNIST test images come back with all 10 logits identical to the TypeScript simulator.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIRTUAL_BOARD_FIRMWARE_NAME } from '../firmware-gen/targets/posix/build.js';
import { classifyImages, DigitBoard, startVirtualBoard, type VirtualBoard } from '../src/device/index.js';
import { ProtocolVersion } from '../src/device/protocol/index.js';
import { ARTIFACT, Led, canRun, imageAt, logitsAt, reference, tempDir, waitUntil } from './board-support.js';

const runnable = canRun('board-virtual', ['gcc']);

describe.runIf(runnable)('virtual board over a pty', () => {
  let vb: VirtualBoard;
  let board: DigitBoard;

  beforeAll(async () => {
    vb = await startVirtualBoard({ artifact: ARTIFACT, link: `${tempDir('ed-board-virtual-')}/board` });
    board = await DigitBoard.connect(vb.path);
  }, 60_000);

  afterAll(async () => {
    await board?.close();
    await vb?.close();
  });

  it('reaches johnny-five ready with the board\'s firmware name, pin table and protocol version', async () => {
    expect(board.board.isReady).toBe(true);
    expect(board.info.firmwareName).toBe(VIRTUAL_BOARD_FIRMWARE_NAME);
    expect(board.info.firmwareVersion).toBe(`${ProtocolVersion.MAJOR}.${ProtocolVersion.MINOR}`);
    expect(board.info.pins).toBe(22);
    expect(board.info.analogPins).toBe(8);
    expect(board.io.pins[13].supportedModes).toEqual([0, 1, 11]);
    expect(board.io.pins[14].analogChannel).toBe(0);
    const info = await board.protocolInfo();
    expect(info).toMatchObject({ protocolMajor: 1, imageWidth: 28, imageHeight: 28, classCount: 10, maxSysexBody: 901 });
  });

  it('toggles LED_BUILTIN (pin 13) from a johnny-five Led, as the pin log shows', async () => {
    const led = new Led({ pin: 13, board: board.board });
    led.on();
    await waitUntil('pin 13 high', () => vb.pinEvents().some((e) => e.pin === 13 && e.event === 'write' && e.value === 1), 3000);
    led.off();
    await waitUntil('pin 13 low', () => vb.pinEvents().some((e) => e.pin === 13 && e.event === 'write' && e.value === 0), 3000);
    const pin13 = vb.pinEvents().filter((e) => e.pin === 13).map((e) => (e.event === 'mode' ? `mode ${e.name}` : `write ${e.value}`));
    expect(pin13).toEqual(['mode OUTPUT', 'write 1', 'write 0']);
  });

  it('classifies 500 MNIST test images with logits identical to the simulator, all 10 of every image', async () => {
    const count = 500;
    const ref = reference(count);
    const run = await classifyImages(board, ref.images, count, { window: 4 });
    const mismatches: string[] = [];
    for (let i = 0; i < count; i++) {
      const got = logitsAt(run.logits, i);
      const want = logitsAt(ref.logits, i);
      if (got.join() !== want.join() || run.digits[i] !== ref.digits[i]) mismatches.push(`image ${i}: board [${got}] digit ${run.digits[i]}, simulator [${want}] digit ${ref.digits[i]}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The board times its engine call with CLOCK_MONOTONIC: a real, non-zero inference time.
    const sorted = Array.from(run.deviceMicros).sort((a, b) => a - b);
    expect(sorted[count >> 1]).toBeGreaterThan(0);
    expect(run.retries).toBe(0);
    expect(board.stats.corruptFrames).toBe(0);
  }, 60_000);

  it('keeps serving when the host closes the port and opens it again (EIO while no host is attached)', async () => {
    const ref = reference(3);
    await board.close(); // a port is opened by one process at a time (serialport locks it)
    for (let i = 0; i < 3; i++) {
      const again = await DigitBoard.connect(vb.path, { reconnect: false });
      expect(Array.from((await again.classify(imageAt(ref.images, i))).logits)).toEqual(logitsAt(ref.logits, i));
      await again.close();
    }
    board = await DigitBoard.connect(vb.path);
  }, 30_000);

  it('says the port is busy when another connection holds it', async () => {
    await expect(DigitBoard.connect(vb.path, { reconnect: false })).rejects.toThrow(/cannot open .*: Resource temporarily unavailable Cannot lock port \(another program/);
  });

  it('prints one "port" line, links the pty, and on SIGTERM exits 0 and removes its link', async () => {
    const link = `${tempDir('ed-board-exe-')}/board`;
    const child = spawn(vb.exe, ['--link', link, '--pin-log', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitUntil('the port line', () => stdout.endsWith('\n'), 5000);
    expect(stdout).toMatch(/^port \/dev\/pts\/\d+\n$/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(link)).toBe(false);
  });

  it('rejects a wrong-sized image before anything is sent', async () => {
    await expect(board.classify(new Uint8Array(783))).rejects.toThrow(/784 bytes, got 783/);
    expect(board.pendingRequests).toBe(0);
    // The link is still fine afterwards.
    const ref = reference(1);
    expect(Array.from((await board.classify(imageAt(ref.images, 0))).logits)).toEqual(logitsAt(ref.logits, 0));
  });
});
