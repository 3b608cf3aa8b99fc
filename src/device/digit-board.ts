/**
 * DigitBoard: a board running edge-digits firmware, reached over a serial port — classify images on it (one at a
 * time or streamed with a bounded window), drive its pins through the johnny-five `board`, and survive the port
 * going away (board reset, unplug) by reconnecting with backoff. See docs/board-link.md.
 */
import { EventEmitter } from 'node:events';
import { openFirmataConnection, type FirmataConnection, type FirmataIo, type J5Board } from './firmata-connection.js';
import type { ExtensionMessage, PinTable } from './frame-gate.js';
import { BoardProtocolError, ClassifyFailedError, IncompatibleBoardError } from './errors.js';
import { RequestTracker, systemTimers, type Answered, type Timers, type TrackerStats } from './request-tracker.js';
import {
  ClassifyStatus, Layout, ProtocolVersion, classifyStatusName, encodeClassifyRequest, encodeProtocolInfoQuery,
  type ClassifyReply, type ProtocolInfoReply,
} from './protocol/index.js';

export interface ReconnectOptions {
  /** First wait after the port closed; doubles after each failed attempt up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stop trying after this long; every request then rejects with DisconnectedError. Default: never (until close()). */
  readonly giveUpAfterMs?: number;
}

export interface DigitBoardOptions {
  /**
   * Any rate works on a pty or USB CDC; a real UART needs the firmware's rate. Timeouts are derived from it (a
   * request's time on the line, 10 bits per byte), so give the real rate of a slow line. Default 115200.
   */
  readonly baudRate?: number;
  /** Per transmission, on top of the request's and reply's time on the line at baudRate. Default 500 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * Per handshake query (REPORT_VERSION, REPORT_FIRMWARE, CAPABILITY_QUERY, ANALOG_MAPPING_QUERY), on top of its
   * line time, before the frame gate asks again. Default min(requestTimeoutMs, 200 ms): boards answer at once.
   */
  readonly queryTimeoutMs?: number;
  /** Transmissions per request, the first included. Default 4. */
  readonly attempts?: number;
  /** Requests on the wire at once. Default 4; use 1 for a Nano 33 BLE under load (docs/protocol.md §5). */
  readonly maxInFlight?: number;
  /** Open → johnny-five ready, retries included. Default 5000 ms + four handshakes' line time. */
  readonly handshakeTimeoutMs?: number;
  /** Default 300 ms (firmata-io waits this long for an announcement before it asks). */
  readonly reportVersionTimeoutMs?: number;
  /** false: a closed port ends the link. Default: reconnect (100 ms doubling to 2 s, until close()). */
  readonly reconnect?: ReconnectOptions | false;
  /** How long requests wait for a reconnection before rejecting with DisconnectedError. Default 5000 ms. */
  readonly disconnectedWaitMs?: number;
  readonly timers?: Timers;
  /** Progress lines (connects, reconnects, dropped frames); default: silent. */
  readonly log?: (line: string) => void;
}

export interface BoardClassification {
  readonly digit: number;
  readonly logits: Int8Array;
  /** Inference time the board measured (its micros() around the engine call). */
  readonly deviceMicros: number;
  /** First transmission → reply, on the host clock (includes retries). */
  readonly roundTripMs: number;
  readonly attempts: number;
}

export type ClassifyOutcome =
  | ({ readonly index: number; readonly ok: true } & BoardClassification)
  | { readonly index: number; readonly ok: false; readonly error: Error };

export interface BoardIdentity {
  readonly firmwareName: string;
  readonly firmwareVersion: string;
  readonly protocol: ProtocolInfoReply;
  readonly pins: number;
  readonly analogPins: number;
}

export interface DigitBoardStats extends TrackerStats {
  connects: number;
  disconnects: number;
  /** Extension frames that failed their CRC or length check (dropped). */
  corruptFrames: number;
}

/** What a caller can read about the link at any time (`DigitBoard.status`). */
export interface LinkStatus {
  readonly state: 'connected' | 'reconnecting' | 'closed';
  readonly connected: boolean;
  /** Request retransmissions so far (timeouts, error replies, overtaken). */
  readonly retries: number;
  /** Successful reconnections after a lost port. */
  readonly reconnects: number;
  /** Reconnection attempts that failed (port absent, handshake or protocol check failed). */
  readonly failedReconnects: number;
  /** Handshake queries the frame gate sent again, over all connections. */
  readonly handshakeRetries: number;
  /** Firmata messages the frame gate kept from firmata-io (malformed, unasked, unconfirmed), over all connections. */
  readonly droppedFrames: number;
  /** Extension frames that failed their CRC or length check. */
  readonly corruptFrames: number;
  /** Requests submitted and not yet answered or failed. */
  readonly pending: number;
  /** Why the link is down (while reconnecting or closed). */
  readonly lastError: string | null;
}

const DEFAULTS = {
  baudRate: 115200,
  requestTimeoutMs: 500,
  queryTimeoutMs: 200,
  attempts: 4,
  maxInFlight: 4,
  handshakeTimeoutMs: 5000,
  reportVersionTimeoutMs: 300,
  disconnectedWaitMs: 5000,
  reconnect: { initialDelayMs: 100, maxDelayMs: 2000, giveUpAfterMs: Number.POSITIVE_INFINITY },
} as const;

/** 8N1: ten bits on the line per byte. */
export const byteMsAt = (baudRate: number): number => 10_000 / baudRate;

/** Bytes of the whole Firmata handshake, queries and replies, generously (a capability reply for a big board). */
const HANDSHAKE_LINE_BYTES = 800;

function handshakeTimeoutMs(o: DigitBoardOptions): number {
  return o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs + 4 * HANDSHAKE_LINE_BYTES * byteMsAt(o.baudRate ?? DEFAULTS.baudRate);
}

function checkBoardOptions(o: DigitBoardOptions): void {
  const check = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new TypeError(`DigitBoard: ${name} must be a positive number, got ${v}`);
  };
  check(o.baudRate, 'baudRate');
  check(o.requestTimeoutMs, 'requestTimeoutMs');
  check(o.queryTimeoutMs, 'queryTimeoutMs');
  check(o.handshakeTimeoutMs, 'handshakeTimeoutMs');
  if (o.reconnect && o.reconnect.giveUpAfterMs !== undefined && !(o.reconnect.giveUpAfterMs > 0)) {
    throw new TypeError(`DigitBoard: reconnect.giveUpAfterMs must be a positive number (or Infinity), got ${o.reconnect.giveUpAfterMs}`);
  }
}

/** Index of the largest logit, the first on ties — how the engine picks its digit. */
function firstArgmax(logits: Int8Array): number {
  let best = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
  return best;
}

type ConnectionState = 'connected' | 'reconnecting' | 'closed';

export declare interface DigitBoard {
  /** The port closed; requests wait for a reconnection (or reject when reconnect is off). */
  on(event: 'disconnect', listener: (reason: string) => void): this;
  /** A new connection is ready; `board` is a new johnny-five Board (re-create components on it). */
  on(event: 'reconnect', listener: (board: J5Board) => void): this;
  /** Reconnection gave up or the link was closed: the DigitBoard is finished. */
  on(event: 'close', listener: (reason: string) => void): this;
}

export class DigitBoard extends EventEmitter {
  readonly stats: DigitBoardStats;
  private readonly tracker: RequestTracker;
  private readonly timers: Timers;
  private state: ConnectionState = 'connected';
  private failedReconnects = 0;
  private lastError: string | null = null;
  /** Gate figures of connections that ended, plus the current one's live stats object. */
  private gateTotals = { queryRetries: 0, dropped: 0 };

  private constructor(
    readonly path: string,
    private connection: FirmataConnection,
    private identity: BoardIdentity,
    tracker: RequestTracker,
    private readonly o: DigitBoardOptions,
  ) {
    super();
    this.tracker = tracker;
    this.timers = o.timers ?? systemTimers;
    this.stats = Object.assign(tracker.stats, { connects: 1, disconnects: 0, corruptFrames: 0 }) as DigitBoardStats;
  }

  /**
   * Opens `path` (a serial device, a pty, or a symlink to one), waits for johnny-five's `ready`, then checks the
   * board's protocol version and geometry. Rejects with the port's error, TimeoutError or IncompatibleBoardError.
   */
  static async connect(path: string, options: DigitBoardOptions = {}): Promise<DigitBoard> {
    const o = options;
    checkBoardOptions(o);
    const tracker = new RequestTracker({
      port: path,
      timeoutMs: o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      byteMs: byteMsAt(o.baudRate ?? DEFAULTS.baudRate),
      attempts: o.attempts ?? DEFAULTS.attempts,
      maxInFlight: o.maxInFlight ?? DEFAULTS.maxInFlight,
      disconnectedWaitMs: o.disconnectedWaitMs ?? DEFAULTS.disconnectedWaitMs,
      ...(o.timers ? { timers: o.timers } : {}),
    });
    // The board object does not exist yet while the first connection opens; its callbacks reach it through here.
    const route: { board: DigitBoard | null; corrupt: number } = { board: null, corrupt: 0 };
    const { connection, identity } = await DigitBoard.openChecked(path, tracker, o, route, null);
    const board = new DigitBoard(path, connection, identity, tracker, o);
    board.stats.corruptFrames += route.corrupt;
    route.board = board;
    tracker.release();
    return board;
  }

  /** The johnny-five Board of the current connection (a new one after each reconnection). */
  get board(): J5Board {
    return this.connection.board;
  }

  get io(): FirmataIo {
    return this.connection.io;
  }

  /** What the board said about itself at the last (re)connection. */
  get info(): BoardIdentity {
    return this.identity;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** The link at a glance: state, retries, reconnections, what the frame gate dropped. */
  get status(): LinkStatus {
    const gate = this.connection.gate;
    return {
      state: this.state,
      connected: this.state === 'connected',
      retries: this.stats.retries,
      reconnects: this.stats.connects - 1,
      failedReconnects: this.failedReconnects,
      handshakeRetries: this.gateTotals.queryRetries + gate.queryRetries,
      droppedFrames: this.gateTotals.dropped + gate.dropped,
      corruptFrames: this.stats.corruptFrames,
      pending: this.tracker.size,
      lastError: this.state === 'connected' ? null : this.lastError,
    };
  }

  /** Requests submitted and not yet answered or failed. */
  get pendingRequests(): number {
    return this.tracker.size;
  }

  /** Asks the board for its protocol version and limits now (a ping with content). */
  async protocolInfo(): Promise<ProtocolInfoReply> {
    const a = await this.tracker.protocolInfo((seq) => encodeProtocolInfoQuery(seq));
    return a.reply;
  }

  /** Classifies one 28×28 image (784 uint8, row-major, 0 = background). */
  async classify(pixels: Uint8Array): Promise<BoardClassification> {
    if (!(pixels instanceof Uint8Array) || pixels.length !== Layout.PIXEL_COUNT) {
      throw new TypeError(`DigitBoard.classify: pixels must be a Uint8Array of ${Layout.PIXEL_COUNT} bytes, got ${pixels instanceof Uint8Array ? `${pixels.length} bytes` : typeof pixels}`);
    }
    const a = await this.tracker.classify((seq) => encodeClassifyRequest(seq, pixels));
    return this.acceptClassification(a);
  }

  /**
   * Classifies a stream of images with at most `window` requests outstanding, yielding one outcome per image in
   * input order. A failed image yields { ok: false, error } and the stream goes on.
   */
  async *classifyMany(images: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: { readonly window?: number } = {}): AsyncGenerator<ClassifyOutcome, void, undefined> {
    const window = options.window ?? this.o.maxInFlight ?? DEFAULTS.maxInFlight;
    if (!Number.isInteger(window) || window < 1) throw new TypeError(`DigitBoard.classifyMany: window must be a positive integer, got ${window}`);
    const outstanding: Promise<ClassifyOutcome>[] = [];
    let index = 0;
    const start = (pixels: Uint8Array): void => {
      const i = index++;
      outstanding.push(this.classify(pixels).then(
        (r): ClassifyOutcome => ({ index: i, ok: true, ...r }),
        (e: unknown): ClassifyOutcome => ({ index: i, ok: false, error: e instanceof Error ? e : new Error(String(e)) }),
      ));
    };
    for await (const pixels of images) {
      start(pixels);
      if (outstanding.length >= window) yield await (outstanding.shift() as Promise<ClassifyOutcome>);
    }
    while (outstanding.length) yield await (outstanding.shift() as Promise<ClassifyOutcome>);
  }

  /** Rejects everything pending with DisconnectedError and closes the port. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.finish('closed by the host');
    await this.connection.close();
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private acceptClassification(a: Answered<ClassifyReply>): BoardClassification {
    const r = a.reply;
    const command = `CLASSIFY_REQUEST seq ${r.seq}`;
    if (r.status !== ClassifyStatus.OK) {
      throw new ClassifyFailedError(this.path, command, `board answered ${classifyStatusName(r.status)}`, r.status);
    }
    // The CRC vouches for the bytes; this vouches for the firmware (its digit must be its logits' argmax).
    if (r.digit !== firstArgmax(r.logits)) {
      throw new BoardProtocolError(this.path, command, `reply digit ${r.digit} is not the argmax of its logits [${Array.from(r.logits).join(' ')}]`, 'INCONSISTENT_REPLY');
    }
    return { digit: r.digit, logits: r.logits, deviceMicros: r.inferenceMicros, roundTripMs: a.roundTripMs, attempts: a.attempts };
  }

  private static async openChecked(
    path: string, tracker: RequestTracker, o: DigitBoardOptions, route: { board: DigitBoard | null; corrupt: number }, knownPins: PinTable | null,
  ): Promise<{ connection: FirmataConnection; identity: BoardIdentity }> {
    const baudRate = o.baudRate ?? DEFAULTS.baudRate;
    const connection = await openFirmataConnection(path, {
      baudRate,
      handshakeTimeoutMs: handshakeTimeoutMs(o),
      reportVersionTimeoutMs: o.reportVersionTimeoutMs ?? DEFAULTS.reportVersionTimeoutMs,
      byteMs: byteMsAt(baudRate),
      queryMarginMs: o.queryTimeoutMs ?? Math.min(o.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs, DEFAULTS.queryTimeoutMs),
      knownPins,
      timers: o.timers ?? systemTimers,
      onMessage: (m) => DigitBoard.routeMessage(tracker, m),
      onCorruptFrame: (e) => {
        if (route.board) route.board.stats.corruptFrames++;
        else route.corrupt++;
        o.log?.(`${path}: dropped a corrupt frame: ${e.message}`);
      },
      onClose: (reason) => route.board?.onPortClosed(reason),
    });
    tracker.resume((frame) => connection.write(frame), { hold: true });
    try {
      const info = (await tracker.protocolInfo((seq) => encodeProtocolInfoQuery(seq), true)).reply;
      checkCompatible(path, info);
      const fw = connection.io.firmware;
      const identity: BoardIdentity = {
        firmwareName: fw.name ?? '',
        firmwareVersion: fw.version ? `${fw.version.major}.${fw.version.minor}` : '',
        protocol: info,
        pins: connection.io.pins.length,
        analogPins: connection.io.analogPins.length,
      };
      o.log?.(`${path}: ${identity.firmwareName} ${identity.firmwareVersion}, protocol ${info.protocolMajor}.${info.protocolMinor}, ready in ${connection.handshakeMs.toFixed(0)} ms`);
      return { connection, identity };
    } catch (e) {
      tracker.suspend('protocol check failed');
      await connection.close();
      throw e;
    }
  }

  private static routeMessage(tracker: RequestTracker, m: ExtensionMessage): void {
    if (m.kind === 'classify-reply' || m.kind === 'protocol-info') tracker.handleReply(m);
    else if (m.kind === 'error-reply') tracker.handleErrorReply(m);
  }

  private onPortClosed(reason: string): void {
    if (this.state !== 'connected') return;
    this.stats.disconnects++;
    this.lastError = reason;
    this.o.log?.(`${this.path}: ${reason}`);
    this.emit('disconnect', reason);
    if (this.o.reconnect === false) {
      this.finish(`${reason}; reconnection is off`);
      return;
    }
    this.state = 'reconnecting';
    this.tracker.suspend(reason);
    void this.reconnectLoop(reason);
  }

  private async reconnectLoop(reason: string): Promise<void> {
    const r = { ...DEFAULTS.reconnect, ...(this.o.reconnect || {}) };
    const started = this.timers.now();
    let delay = r.initialDelayMs;
    let lastError = reason;
    while (this.state === 'reconnecting') {
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, delay));
      if (this.state !== 'reconnecting') return;
      try {
        const route = { board: this as DigitBoard | null, corrupt: 0 };
        const { connection, identity } = await DigitBoard.openChecked(this.path, this.tracker, this.o, route, this.connection.pinTable);
        if (this.state !== 'reconnecting') {
          await connection.close();
          return;
        }
        this.gateTotals.queryRetries += this.connection.gate.queryRetries;
        this.gateTotals.dropped += this.connection.gate.dropped;
        this.connection = connection;
        this.identity = identity;
        this.state = 'connected';
        this.stats.connects++;
        this.tracker.release();
        this.o.log?.(`${this.path}: reconnected after ${(this.timers.now() - started).toFixed(0)} ms`);
        this.emit('reconnect', connection.board);
        return;
      } catch (e) {
        lastError = (e as Error).message;
        this.lastError = lastError;
        this.failedReconnects++;
        this.o.log?.(`${this.path}: reconnection attempt failed: ${lastError}`);
        // openChecked resumed and re-suspended the tracker; keep requests waiting under the original reason.
        this.tracker.suspend(reason);
        if (e instanceof IncompatibleBoardError) {
          this.finish(lastError);
          return;
        }
      }
      if (this.timers.now() - started >= r.giveUpAfterMs) {
        this.finish(`${reason}; gave up reconnecting after ${r.giveUpAfterMs} ms (--reconnect-timeout; last attempt: ${lastError})`);
        return;
      }
      delay = Math.min(delay * 2, r.maxDelayMs);
    }
  }

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.lastError = reason;
    this.tracker.close(reason);
    this.emit('close', reason);
  }
}

function checkCompatible(path: string, info: ProtocolInfoReply): void {
  const problems: string[] = [];
  if (info.protocolMajor !== ProtocolVersion.MAJOR) problems.push(`protocol ${info.protocolMajor}.${info.protocolMinor}, this host speaks ${ProtocolVersion.MAJOR}.x`);
  if (info.imageWidth !== Layout.IMAGE_WIDTH || info.imageHeight !== Layout.IMAGE_HEIGHT) problems.push(`images ${info.imageWidth}×${info.imageHeight}, this host sends ${Layout.IMAGE_WIDTH}×${Layout.IMAGE_HEIGHT}`);
  if (info.classCount !== Layout.CLASS_COUNT) problems.push(`${info.classCount} classes, this host expects ${Layout.CLASS_COUNT}`);
  if (info.maxSysexBody < Layout.CLASSIFY_REQUEST_BODY_LEN) problems.push(`sysex bodies up to ${info.maxSysexBody} bytes, a classify request needs ${Layout.CLASSIFY_REQUEST_BODY_LEN}`);
  if (problems.length) throw new IncompatibleBoardError(path, `PROTOCOL_INFO_QUERY seq ${info.seq}`, `incompatible board: ${problems.join('; ')}`);
}
