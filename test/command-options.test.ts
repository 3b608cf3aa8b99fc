import { describe, expect, it } from 'vitest';
import { CliError, intOption, numberOption, runCommand, type Command } from '../src/cli/command.js';
import { snakeCase, snakeCaseKeys } from '../src/cli/json-output.js';
import { DivergenceGuard, TrainingDivergedError } from '../src/train/divergence.js';

describe('numeric options', () => {
  it('integers: range in the message, one line', () => {
    expect(intOption('12', 'n', 1, 20)).toBe(12);
    expect(intOption(undefined, 'n', 1)).toBeUndefined();
    expect(() => intOption('1e8', 'batch-size', 1, 8192)).toThrow(new CliError("--batch-size expects an integer from 1 to 8192, got '1e8'"));
    expect(() => intOption('2.5', 'n', 1)).toThrow("--n expects an integer ≥ 1, got '2.5'");
    expect(() => intOption('', 'n', 0)).toThrow("--n expects an integer ≥ 0, got ''");
  });

  it('numbers: exclusive and inclusive bounds', () => {
    expect(numberOption('0.5', 'p', { min: 0, max: 1 })).toBe(0.5);
    expect(() => numberOption('5', 'min-confidence', { min: 0, max: 1 })).toThrow("--min-confidence expects a number ≥ 0 and ≤ 1, got '5'");
    expect(() => numberOption('0', 'lr', { min: 0, minExclusive: true })).toThrow("--lr expects a number > 0, got '0'");
    expect(() => numberOption('NaN', 'x')).toThrow("--x expects a number, got 'NaN'");
  });

  it('a negative number after a string option is its value', async () => {
    let seen: unknown;
    const cmd: Command = {
      name: 't', summary: '', usage: '', examples: [], options: { lr: { type: 'string', help: '' }, flag: { type: 'boolean', help: '' } },
      run: async (v) => { seen = v.lr; return 0; },
    };
    await runCommand(cmd, ['--lr', '-0.5', '--flag']);
    expect(seen).toBe('-0.5');
  });
});

describe('JSON style', () => {
  it('snake_case keys, deep, values untouched', () => {
    expect(snakeCase('latencyMs')).toBe('latency_ms');
    expect(snakeCase('cpuMhz')).toBe('cpu_mhz');
    expect(snakeCase('already_snake')).toBe('already_snake');
    expect(snakeCaseKeys({ noDigit: { 'too-little-ink': 2 }, list: [{ outShape: [1, 2] }], name: 'camelCaseValue' }))
      .toEqual({ no_digit: { 'too-little-ink': 2 }, list: [{ out_shape: [1, 2] }], name: 'camelCaseValue' });
  });
});

describe('DivergenceGuard', () => {
  it('stops at once on NaN or infinity', () => {
    const g = new DivergenceGuard(5, 'lower the learning rate');
    g.observe(2.3);
    expect(() => g.observe(Number.NaN)).toThrow(new TrainingDivergedError('training diverged: the loss is NaN at batch 2; lower the learning rate'));
    expect(() => new DivergenceGuard().observe(Infinity)).toThrow(/the loss is Infinity at batch 1/);
  });

  it('stops after `patience` batches in a row above the first loss, not on a few noisy ones', () => {
    const noisy = new DivergenceGuard(3);
    for (const l of [2.3, 2.4, 2.5, 2.0, 2.6, 2.7, 1.9, 1.5]) noisy.observe(l);
    const g = new DivergenceGuard(3);
    g.observe(2.3);
    g.observe(50);
    g.observe(8e9);
    expect(() => g.observe(3e9)).toThrow(/stayed above its starting 2\.3000 for 3 batches \(now 3\.000e\+9 at batch 4\)/);
  });
});
