/**
 * --baud, --timeout and --reconnect-timeout: the options of every command that opens a board's serial port, and
 * their translation into DigitBoardOptions (docs/board-link.md, "Timeouts"). Kept apart so each command adds
 * them with one spread and one call.
 */
import type { DigitBoardOptions } from '../device/index.js';
import { CliError, type OptionSpec } from './command.js';

export const LINK_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  baud: { type: 'string', help: 'line rate of the board\'s serial port (USB and ptys ignore it; a UART needs its real rate). Timeouts are derived from it. Default 115200', arg: 'n' },
  timeout: { type: 'string', help: 'ms to wait for a reply beyond the request\'s and reply\'s time on the line before resending. Default 500', arg: 'ms' },
  'reconnect-timeout': { type: 'string', help: 'ms to keep trying to reconnect after the port is lost (board reset, unplugged). Default: until stopped', arg: 'ms' },
};

function positive(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name} expects a positive number, got '${String(v)}'`);
  return n;
}

/** DigitBoardOptions from the parsed --baud / --timeout / --reconnect-timeout (absent ones keep the defaults). */
export function linkOptionsFrom(v: Record<string, unknown>): DigitBoardOptions {
  const baudRate = positive(v.baud, 'baud');
  if (baudRate !== undefined && !Number.isInteger(baudRate)) throw new CliError(`--baud expects an integer, got '${String(v.baud)}'`);
  const requestTimeoutMs = positive(v.timeout, 'timeout');
  const giveUpAfterMs = positive(v['reconnect-timeout'], 'reconnect-timeout');
  return {
    ...(baudRate !== undefined ? { baudRate } : {}),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    ...(giveUpAfterMs !== undefined ? { reconnect: { giveUpAfterMs } } : {}),
  };
}
