/**
 * Streaming decoder for board -> host bytes. Feed it chunks in arrival order; it returns every complete message
 * and every error, in order, and always resynchronises: junk is reported once per run, a status byte inside a
 * frame aborts that frame and starts the next one, so one lost byte never costs more than one message.
 */
import { decodeSysexBody, type BoardMessage } from './board-messages.js';
import { MessageLengthError, OverflowError, ProtocolError, StrayStatusByteError, UnexpectedByteError } from './errors.js';
import { FirmataCommand } from './ids.js';

export type DecodeResult =
  | { readonly ok: true; readonly message: BoardMessage; readonly offset: number; readonly length: number }
  | { readonly ok: false; readonly error: ProtocolError };

/** Longest sysex body accepted from a board: a capability response for 128 pins with 12 modes each fits. */
export const MAX_BOARD_SYSEX_BODY = 4096;

type State =
  | { readonly kind: 'idle' }
  /** The rest of an overflowed sysex: already reported, dropped silently up to and including its F7. */
  | { readonly kind: 'discard' }
  | { readonly kind: 'junk'; readonly start: number; readonly bytes: number[] }
  | { readonly kind: 'midi'; readonly start: number; readonly command: number; readonly data: number[] }
  | { readonly kind: 'sysex'; readonly start: number; readonly data: number[] };

/** Board -> host MIDI-style messages: status bytes the board sends, each with 2 data bytes. */
function isMidiStatus(byte: number): boolean {
  const high = byte & 0xf0;
  return byte === FirmataCommand.REPORT_VERSION || high === FirmataCommand.DIGITAL_MESSAGE || high === FirmataCommand.ANALOG_MESSAGE;
}

function decodeMidi(command: number, d1: number, d2: number): BoardMessage {
  if (command === FirmataCommand.REPORT_VERSION) return { kind: 'version', major: d1, minor: d2 };
  if ((command & 0xf0) === FirmataCommand.DIGITAL_MESSAGE) return { kind: 'digital', port: command & 0x0f, value: d1 | (d2 << 7) };
  return { kind: 'analog', channel: command & 0x0f, value: d1 | (d2 << 7) };
}

export class BoardMessageDecoder {
  private state: State = { kind: 'idle' };
  private position = 0;

  /** Stream offset of the next byte to be pushed. */
  get offset(): number {
    return this.position;
  }

  push(chunk: Uint8Array): DecodeResult[] {
    const out: DecodeResult[] = [];
    for (const byte of chunk) {
      this.step(byte, out);
      this.position++;
    }
    return out;
  }

  /** End of stream: reports a pending junk run or an unterminated message, then starts over. */
  flush(): DecodeResult[] {
    const out: DecodeResult[] = [];
    this.abandon(this.position, undefined, out);
    return out;
  }

  private step(byte: number, out: DecodeResult[]): void {
    const at = this.position;
    const s = this.state;
    if (byte < 0x80) {
      switch (s.kind) {
        case 'idle':
          this.state = { kind: 'junk', start: at, bytes: [byte] };
          return;
        case 'junk':
          s.bytes.push(byte);
          return;
        case 'discard':
          return;
        case 'midi':
          s.data.push(byte);
          if (s.data.length === 2) {
            out.push({ ok: true, message: decodeMidi(s.command, s.data[0], s.data[1]), offset: s.start, length: 3 });
            this.state = { kind: 'idle' };
          }
          return;
        case 'sysex':
          if (s.data.length - 1 >= MAX_BOARD_SYSEX_BODY) {
            out.push({ ok: false, error: new OverflowError(at, s.data[0], MAX_BOARD_SYSEX_BODY) });
            this.state = { kind: 'discard' };
            return;
          }
          s.data.push(byte);
          return;
      }
    }
    if (byte === FirmataCommand.END_SYSEX && s.kind === 'discard') {
      this.state = { kind: 'idle' };
      return;
    }
    if (byte === FirmataCommand.END_SYSEX && s.kind === 'sysex') {
      this.state = { kind: 'idle' };
      if (s.data.length === 0) {
        out.push({ ok: false, error: new MessageLengthError(at, FirmataCommand.START_SYSEX, 'at least 1 (the sysex ID)', 0) });
        return;
      }
      try {
        const message = decodeSysexBody(s.data[0], s.data.slice(1), s.start + 2);
        out.push({ ok: true, message, offset: s.start, length: at + 1 - s.start });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        out.push({ ok: false, error: e });
      }
      return;
    }
    this.abandon(at, byte, out);
    if (byte === FirmataCommand.START_SYSEX) {
      this.state = { kind: 'sysex', start: at, data: [] };
    } else if (isMidiStatus(byte)) {
      this.state = { kind: 'midi', start: at, command: byte, data: [] };
    } else {
      this.state = { kind: 'junk', start: at, bytes: [byte] };
    }
  }

  /** Ends whatever is in progress because `byte` (a status byte, or undefined at end of stream) arrived at `at`. */
  private abandon(at: number, byte: number | undefined, out: DecodeResult[]): void {
    const s = this.state;
    this.state = { kind: 'idle' };
    switch (s.kind) {
      case 'idle':
      case 'discard':
        return;
      case 'junk':
        out.push({ ok: false, error: new UnexpectedByteError(s.start, Uint8Array.from(s.bytes)) });
        return;
      case 'midi':
        out.push({
          ok: false,
          error: byte === undefined ? new MessageLengthError(at, s.command, '2', s.data.length) : new StrayStatusByteError(at, byte, s.command, s.data.length),
        });
        return;
      case 'sysex': {
        const command = s.data.length > 0 ? s.data[0] : FirmataCommand.START_SYSEX;
        const received = Math.max(0, s.data.length - 1);
        out.push({
          ok: false,
          error: byte === undefined
            ? new MessageLengthError(at, command, 'an END_SYSEX after', received)
            : new StrayStatusByteError(at, byte, command, received),
        });
      }
    }
  }
}
