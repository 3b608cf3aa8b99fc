/**
 * The host side of the QEMU board that needs no emulator: reading QEMU's pty line, the instruction clock's
 * arithmetic, parsing the probe programs' output, and what the build derives from a model.
 */
import { describe, expect, it } from 'vitest';
import {
  assertInstructionClock, DEFAULT_INSTRUCTION_CLOCK, timerTicksPerInstruction, type InstructionClock,
} from '../firmware-gen/targets/mps2/build.js';
import {
  analyseCalibration, analyseLayerProbe, instructionsFromMicros, parsePtyPath, qemuArgs, QemuError,
} from '../src/device/index.js';

const clock: InstructionClock = { icountShift: 6, cpuMhz: 64, cpiNum: 3, cpiDen: 2 };

describe('QEMU command line and pty', () => {
  it('boots mps2-an386 with instruction counting and UART0 on a pty', () => {
    const args = qemuArgs('/x/fw.elf', clock, 'pty');
    expect(args.join(' ')).toBe('-M mps2-an386 -display none -monitor none -serial pty -icount shift=6 -kernel /x/fw.elf');
  });

  it('reads the pty of serial0 from QEMU\'s announcement, and nothing else', () => {
    expect(parsePtyPath('char device redirected to /dev/pts/7 (label serial0)\n')).toBe('/dev/pts/7');
    expect(parsePtyPath('qemu-system-arm: warning: something\nchar device redirected to /dev/pts/12 (label serial0)')).toBe('/dev/pts/12');
    expect(parsePtyPath('char device redirected to /dev/pts/3 (label serial1)')).toBeNull();
    expect(parsePtyPath('char device redirected to /dev/pt')).toBeNull();
  });
});

describe('instruction clock', () => {
  it('advances timer0 2^shift / 40 ticks per instruction (25 MHz timer, 2^shift ns per instruction)', () => {
    expect(timerTicksPerInstruction(clock)).toBe(1.6);
    expect(timerTicksPerInstruction({ ...clock, icountShift: 3 })).toBe(0.2);
  });

  it('turns the timing field (µs at cpuMhz and the assumed CPI) back into instructions', () => {
    expect(instructionsFromMicros(1500, clock)).toBe(64_000);
    expect(instructionsFromMicros(0, clock)).toBe(0);
    expect(instructionsFromMicros(100, { ...clock, cpiNum: 1, cpiDen: 1 })).toBe(6400);
  });

  it('refuses clocks the firmware cannot represent, naming the field', () => {
    expect(() => assertInstructionClock({ ...clock, icountShift: 11 })).toThrow(/icountShift/);
    expect(() => assertInstructionClock({ ...clock, cpuMhz: 0 })).toThrow(/cpuMhz/);
    expect(() => assertInstructionClock({ ...clock, cpiDen: 1.5 })).toThrow(/CPI/);
    expect(() => assertInstructionClock(DEFAULT_INSTRUCTION_CLOCK)).not.toThrow();
  });
});

function loopLines(name: string, perIteration: number, ticksPerInstruction: number, intercept: number): string[] {
  return [1, 10, 100, 1000].map((n) => JSON.stringify({ kind: 'loop', name, instructions_per_iteration: perIteration, iterations: n, ticks: Math.round(n * perIteration * ticksPerInstruction + intercept) }));
}

describe('calibration output', () => {
  it('fits ticks per instruction and the read overhead of each loop', () => {
    const text = [...loopLines('subs-bne', 2, 1.6, 27), ...loopLines('ldr-mla-subs-bne', 4, 1.6, 30), '{"kind":"timing-overhead","ticks":64}', '{"kind":"done"}'].join('\n');
    const cal = analyseCalibration(text, clock);
    expect(cal.loops.map((l) => l.name)).toEqual(['subs-bne', 'ldr-mla-subs-bne']);
    expect(cal.maxSlopeError).toBeLessThan(1e-3);
    expect(cal.timingOverheadInstructions).toBe(40);
    expect(cal.readOverheadInstructions).toBeCloseTo(27 / 1.6, 0);
  });

  it('reports a slope that does not match the clock', () => {
    const text = [...loopLines('subs-bne', 2, 3.2, 27), '{"kind":"timing-overhead","ticks":64}', '{"kind":"done"}'].join('\n');
    expect(analyseCalibration(text, clock).maxSlopeError).toBeCloseTo(1, 2);
  });

  it('rejects output that stopped early or is not JSON, saying which', () => {
    expect(() => analyseCalibration(loopLines('subs-bne', 2, 1.6, 27).join('\n'), clock)).toThrow(QemuError);
    expect(() => analyseCalibration(loopLines('subs-bne', 2, 1.6, 27).join('\n'), clock)).toThrow(/before \{"kind":"done"\}/);
    expect(() => analyseCalibration('{"kind":"loop",\n{"kind":"done"}', clock)).toThrow(/line 1: not JSON/);
  });
});

describe('layer probe output', () => {
  it('groups layer lines by image and converts ticks to instructions', () => {
    const text = [
      '{"kind":"layer","image":0,"index":0,"op":"quantize","ticks":160}',
      '{"kind":"layer","image":0,"index":1,"op":"conv2d","ticks":16000}',
      '{"kind":"classify","image":0,"ticks":16320,"digit":7,"logits":[-1,2,3,4,5,6,7,127,-128,0]}',
      '{"kind":"done"}',
    ].join('\n');
    const [image] = analyseLayerProbe(text, clock);
    expect(image.layers).toEqual([{ index: 0, op: 'quantize', instructions: 100 }, { index: 1, op: 'conv2d', instructions: 10_000 }]);
    expect(image.classifyInstructions).toBe(10_200);
    expect(image.digit).toBe(7);
    expect(Array.from(image.logits)).toEqual([-1, 2, 3, 4, 5, 6, 7, 127, -128, 0]);
  });

  it('passes on the firmware\'s own error and a fault report as errors', () => {
    expect(() => analyseLayerProbe('{"kind":"error","message":"ed_classify failed"}\n{"kind":"done"}', clock)).toThrow(/ed_classify failed/);
    expect(() => analyseLayerProbe('\nedge-digits mps2: fault, exception 00000003 pc 000001a2; halted\n', clock)).toThrow(/not JSON: edge-digits mps2: fault/);
  });
});

