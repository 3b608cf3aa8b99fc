/**
 * One open serial connection to a board: a serialport v13 `SerialPort`, firmata-io's `Firmata` on it, and a
 * johnny-five `Board` on that — the usual johnny-five stack, so users drive pins as they always do.
 *
 * Why not `new Board({ port })`: johnny-five 2.1 (2021, unmaintained) bundles serialport 8, which has no
 * prebuilt binary for current Node and waits firmata's 5 s default version timeout. We open the port with
 * serialport v13 ourselves and hand johnny-five a ready-made firmata-io instance (docs/board-link.md).
 *
 * firmata-io never reads the port itself: it gets a transport facade whose 'data' events come from the frame gate
 * (frame-gate.ts), so only complete, well-formed, expected messages reach its handlers, and classify-extension
 * replies go straight to the link without passing through firmata-io at all.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import { TimeoutError } from './errors.js';
import { FrameGate, type ExtensionMessage, type FrameGateStats, type PinTable } from './frame-gate.js';
import type { ProtocolError } from './protocol/index.js';
import type { Timers } from './request-tracker.js';

/** The part of a firmata-io `Firmata` instance this module relies on. */
export interface FirmataIo extends EventEmitter {
  readonly isReady: boolean;
  readonly firmware: { readonly name?: string; readonly version?: { readonly major: number; readonly minor: number } };
  readonly pins: readonly { readonly supportedModes: readonly number[]; readonly analogChannel: number; readonly mode?: number; readonly value?: number }[];
  readonly analogPins: readonly number[];
  reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
}

/** The part of a johnny-five `Board` this module relies on; cast it to johnny-five's own types if you have them. */
export interface J5Board extends EventEmitter {
  readonly isReady: boolean;
  readonly io: FirmataIo;
  readonly id: string;
  timer: ReturnType<typeof setTimeout> | null;
}

interface FirmataClass {
  new (transport: EventEmitter, options: { reportVersionTimeout: number }): FirmataIo;
}

interface J5BoardClass {
  new (options: { io: FirmataIo; repl: boolean; debug: boolean; sigint: boolean; timeout: number }): J5Board;
}

const require = createRequire(import.meta.url);
const { Firmata } = require('firmata-io') as { Firmata: FirmataClass };

/** Loaded on first use: johnny-five takes ~100 ms to load and only connections need it. */
function johnnyFiveBoard(): J5BoardClass {
  return (require('johnny-five') as { Board: J5BoardClass }).Board;
}

export interface FirmataConnectionOptions {
  readonly baudRate: number;
  /** From opening the port to johnny-five's `ready`. */
  readonly handshakeTimeoutMs: number;
  /** firmata-io's wait before it asks for the version (the board may have announced itself already). */
  readonly reportVersionTimeoutMs: number;
  /** Milliseconds per byte at the line rate, and the margin on top of a handshake query's line time. */
  readonly byteMs: number;
  readonly queryMarginMs: number;
  /** The pin table of an earlier connection to this port (the gate needs no second reply when it matches). */
  readonly knownPins?: PinTable | null;
  readonly timers: Timers;
  /** Classify-extension messages that decoded and passed their CRC. */
  readonly onMessage: (m: ExtensionMessage) => void;
  /** Classify-extension frames that did not decode (CRC mismatch, bad length): dropped, reported here. */
  readonly onCorruptFrame: (e: ProtocolError) => void;
  /** The port closed without close() being called (board reset, unplugged, killed). */
  readonly onClose: (reason: string) => void;
}

export interface FirmataConnection {
  readonly path: string;
  readonly port: SerialPort;
  readonly io: FirmataIo;
  readonly board: J5Board;
  /** From opening the port to `ready`. */
  readonly handshakeMs: number;
  /** What the frame gate let through, dropped and retried on this connection. */
  readonly gate: FrameGateStats;
  /** The pin table firmata-io was given. */
  readonly pinTable: PinTable | null;
  write(frame: Uint8Array): void;
  /** Closes the port; resolves once it is closed (or was already). */
  close(): Promise<void>;
}

/**
 * How often the port is checked for a hang-up. serialport v13 notices a vanished device only through its poller,
 * and loses that race when a read is already under way: read(2) on a hung-up tty returns 0, which its read loop
 * retries forever — a busy loop and no 'close' (seen here about one kill in six). An ioctl on a hung-up tty fails
 * with EIO, so the modem-status query doubles as a liveness check (a pty answers ENOTTY while alive).
 */
export const HANGUP_CHECK_MS = 250;
const HANGUP_ERRORS = /Input\/output error|No such device|Bad file descriptor/i;

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    port.close(() => resolve());
  });
}

/**
 * Opens `path`, runs the Firmata handshake through johnny-five and resolves once the board is `ready`. Rejects
 * with the port's own error (missing device, permission) or a TimeoutError; nothing is left open on failure.
 */
export function openFirmataConnection(path: string, o: FirmataConnectionOptions): Promise<FirmataConnection> {
  const started = performance.now();
  const Board = johnnyFiveBoard();
  return new Promise<FirmataConnection>((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: o.baudRate, autoOpen: false });
    const transport = new EventEmitter();
    const portWrite = (bytes: Uint8Array, done?: () => void): void => {
      if (port.isOpen) port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), () => done?.());
      else done?.();
    };
    const gate = new FrameGate({
      timers: o.timers, byteMs: o.byteMs, marginMs: o.queryMarginMs, knownPins: o.knownPins ?? null,
      write: (bytes) => portWrite(bytes),
      forward: (bytes) => { transport.emit('data', Buffer.from(bytes)); },
      onExtension: (m) => o.onMessage(m),
      onCorruptExtension: (e) => o.onCorruptFrame(e),
    });
    // firmata-io writes whole messages (writeToTransport); the gate notes the queries among them.
    Object.assign(transport, {
      write: (data: Buffer | number[], done?: () => void) => {
        // Tracked even before the port is open (a write then is lost like any other): the gate asks again.
        gate.fromHost(Uint8Array.from(data));
        done?.();
      },
    });
    port.on('data', (chunk: Buffer) => gate.fromBoard(chunk));
    port.on('open', () => transport.emit('open'));
    port.on('error', (e: Error) => transport.emit('error', e));
    const io = new Firmata(transport, { reportVersionTimeout: o.reportVersionTimeoutMs });
    let settled = false;
    let closing = false;
    let lostReported = false;
    const hangupCheck = setInterval(() => {
      if (!port.isOpen || closing) return;
      port.get((e) => {
        if (!e || !HANGUP_ERRORS.test(e.message) || closing) return;
        if (!settled) fail(new Error(`${path}: the port hung up during the Firmata handshake (${e.message})`));
        else lost(`port hung up (${e.message})`);
      });
    }, HANGUP_CHECK_MS);
    hangupCheck.unref();

    /** The port went away without close(): report once, and close our end (which also ends serialport's read loop). */
    function lost(reason: string): void {
      if (closing || lostReported) return;
      lostReported = true;
      clearInterval(hangupCheck);
      gate.close();
      o.onClose(reason);
      void closePort(port);
    }

    // johnny-five re-emits io errors after ready, and an 'error' without a listener would crash the process.
    const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: o.handshakeTimeoutMs });
    board.on('error', () => undefined);
    io.on('error', (e: Error) => fail(e));

    const timer = setTimeout(() => {
      fail(new TimeoutError(path, 'Firmata handshake', `board not ready within ${o.handshakeTimeoutMs} ms (no answer to REPORT_VERSION, REPORT_FIRMWARE, CAPABILITY_QUERY or ANALOG_MAPPING_QUERY)`));
    }, o.handshakeTimeoutMs);

    const close = async (): Promise<void> => {
      closing = true;
      clearInterval(hangupCheck);
      gate.close();
      await closePort(port);
    };

    function fail(e: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // firmata-io and johnny-five leave their own timers running on a board that never got ready.
      if (io.reportVersionTimeoutId !== undefined) clearTimeout(io.reportVersionTimeoutId);
      if (board.timer) clearTimeout(board.timer);
      void close().then(() => reject(e));
    }

    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (!settled) {
        fail(new Error(`${path}: port closed during the Firmata handshake${err ? ` (${err.message})` : ''}`));
        return;
      }
      lost(err ? `port closed: ${err.message}` : 'port closed');
    });

    board.once('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        path, port, io, board, handshakeMs: performance.now() - started, gate: gate.stats,
        get pinTable() { return gate.pinTable; },
        write: (frame) => portWrite(frame),
        close,
      });
    });

    port.open((e) => {
      if (!e) return;
      const busy = /lock/i.test(e.message) ? ' (another program — another edge-digits process? — has the port open)' : '';
      // serialport says "Error: No such file or directory, cannot open <path>": keep the reason, name the path once.
      const why = e.message.replace(/^Error:?\s*/, '').replace(/, cannot (open|lock).*$/, '');
      fail(new Error(`cannot open ${path}: ${why}${busy}`, { cause: e }));
    });
  });
}
