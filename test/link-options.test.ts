import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/command.js';
import { LINK_OPTIONS, linkOptionsFrom } from '../src/cli/link-options.js';
import { byteMsAt, DigitBoard } from '../src/device/index.js';

describe('--baud / --timeout / --reconnect-timeout', () => {
  it('become DigitBoard options; absent ones keep the defaults', () => {
    expect(Object.keys(LINK_OPTIONS)).toEqual(['baud', 'timeout', 'reconnect-timeout']);
    expect(linkOptionsFrom({})).toEqual({});
    expect(linkOptionsFrom({ baud: '9600', timeout: '250', 'reconnect-timeout': '60000' })).toEqual({
      baudRate: 9600, requestTimeoutMs: 250, reconnect: { giveUpAfterMs: 60000 },
    });
  });

  it('reject what is not a positive number, naming the option', () => {
    expect(() => linkOptionsFrom({ baud: 'fast' })).toThrow(CliError);
    expect(() => linkOptionsFrom({ baud: '9600.5' })).toThrow(/--baud expects an integer/);
    expect(() => linkOptionsFrom({ timeout: '0' })).toThrow(/--timeout expects a positive number, got '0'/);
    expect(() => linkOptionsFrom({ 'reconnect-timeout': '-1' })).toThrow(/--reconnect-timeout/);
  });

  it('the line model: 10 bits per byte; DigitBoard rejects nonsense before opening anything', async () => {
    expect(byteMsAt(9600)).toBeCloseTo(1.0417, 4);
    expect(904 * byteMsAt(115200)).toBeCloseTo(78.5, 1);
    await expect(DigitBoard.connect('/nonexistent', { baudRate: -5 })).rejects.toThrow(/baudRate must be a positive number, got -5/);
    await expect(DigitBoard.connect('/nonexistent', { requestTimeoutMs: Number.NaN })).rejects.toThrow(TypeError);
  });
});
