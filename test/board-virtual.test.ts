/**
 * End to end over a real pty: the virtual board built from the model's generated firmware, reached through
 * serialport v13 + firmata-io + johnny-five. johnny-five gets `ready`, an Led on pin 13 toggles the simulated pin,
 * and 500 MNIST test images come back with all 10 logits identical to the TypeScript simulator.
 */
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

  it('rejects a wrong-sized image before anything is sent', async () => {
    await expect(board.classify(new Uint8Array(783))).rejects.toThrow(/784 bytes, got 783/);
    expect(board.pendingRequests).toBe(0);
    // The link is still fine afterwards.
    const ref = reference(1);
    expect(Array.from((await board.classify(imageAt(ref.images, 0))).logits)).toEqual(logitsAt(ref.logits, 0));
  });
});
