/**
 * The frame gate: what stands between the serial line and firmata-io. firmata-io's parser trusts the line — a
 * reply that lost its sysex ID byte makes it run its analog-mapping / pin-state / firmware handlers on garbage,
 * which throw inside the port's 'data' event (uncatchable) or corrupt the pin table. So firmata-io never sees
 * raw bytes: the gate frames the board's stream itself and hands firmata-io one complete, well-formed,
 * *expected* message at a time. No I/O here (the connection wires it to a port); timers are injectable.
 *
 * Rules (docs/board-link.md, "Frame gate"):
 * - Framing: a status byte always ends the message in progress (the partial one is dropped); data bytes outside a
 *   message are dropped; sysex longer than MAX_BOARD_SYSEX_BODY is dropped up to its F7.
 * - Extension replies (0x02, 0x04, 0x0F) never reach firmata-io: they are decoded (CRC, length) and handed to
 *   `onExtension`, or counted as corrupt.
 * - Firmata sysex replies pass only when the host asked for them and they are well-formed: REPORT_FIRMWARE (also
 *   once unasked: a board's boot announcement), CAPABILITY_RESPONSE and ANALOG_MAPPING_RESPONSE once per query,
 *   PIN_STATE_RESPONSE for a pin that was queried. No sysex passes before a version report has (firmata-io drops
 *   them, which would lose an answer the gate already counted).
 * - The pin table must be right, and a flipped bit can leave a firmware, capability or mapping reply well-formed:
 *   one is forwarded only when it equals what an earlier connection to the port got, or when two replies in a row
 *   agree (the gate asks a second time itself).
 * - Digital reports pass only for ports inside the pin table, analog reports only for mapped channels.
 * - Each handshake query (REPORT_VERSION, REPORT_FIRMWARE, CAPABILITY_QUERY, ANALOG_MAPPING_QUERY) is retried on
 *   its own: after its timeout (line time of query + reply at the line rate, plus a margin), and at once when the
 *   board's answer was malformed. firmata-io itself asks each only once and would wait forever.
 * - forward() runs firmata-io's parser synchronously; anything it still throws is caught and counted.
 */
import { decodeSysexBody, type BoardMessage, type CapabilityResponse, type ClassifyReply, type ErrorReply, type ProtocolInfoReply } from './protocol/index.js';
import { ProtocolError } from './protocol/index.js';
import { EdSysex, FirmataCommand, FirmataSysex, Layout, PinMode } from './protocol/index.js';
import type { Timers, TimerHandle } from './request-tracker.js';

/** Longest sysex body accepted from a board: a capability response for 128 pins with 12 modes each fits. */
export const MAX_BOARD_SYSEX_BODY = 4096;
const FIRMWARE_NAME_MAX = 32;

export type ExtensionMessage = ClassifyReply | ProtocolInfoReply | ErrorReply;

/** The pin table as the board described it: the raw capability and analog-mapping bodies (after the ID). */
export interface PinTable {
  readonly capability: readonly number[];
  readonly analogMapping: readonly number[];
  /** The REPORT_FIRMWARE body (version and name). */
  readonly firmware: readonly number[];
}

export interface FrameGateOptions {
  readonly timers: Timers;
  /** Milliseconds per byte at the line rate (10 bits per byte: 10 000 / baud). */
  readonly byteMs: number;
  /** Added to every handshake query's line time before it is sent again. */
  readonly marginMs: number;
  /** To the board: the gate's own retries. */
  readonly write: (bytes: Uint8Array) => void;
  /** To firmata-io's parser: one complete message per call. */
  readonly forward: (bytes: Uint8Array) => void;
  /** Classify-extension messages that decoded and passed their CRC. */
  readonly onExtension: (m: ExtensionMessage) => void;
  /** Extension frames that failed their CRC or length check. */
  readonly onCorruptExtension?: (e: ProtocolError) => void;
  /** A pin table from an earlier connection to the same port: a reply equal to it needs no confirmation. */
  readonly knownPins?: PinTable | null;
}

export interface FrameGateStats {
  /** Messages handed to firmata-io. */
  forwarded: number;
  /** Frames or bytes runs dropped: malformed, unexpected, unasked, or not yet confirmed. */
  dropped: number;
  /** Extension frames that failed their CRC or length check. */
  corruptExtension: number;
  /** Handshake queries sent again by the gate because an answer was lost or malformed. */
  queryRetries: number;
  /** Capability / analog-mapping queries sent a second time to confirm a reply (not failures). */
  confirmations: number;
  /** Exceptions firmata-io still threw on a forwarded message (caught). */
  handlerErrors: number;
  /** Why the latest drops happened, newest last (bounded), for logs and tests. */
  readonly recentDrops: string[];
}

type QueryKind = 'version' | 'firmware' | 'capability' | 'analog';

interface Query {
  readonly kind: QueryKind;
  readonly bytes: Uint8Array;
  readonly replyBytes: number;
  /**
   * 1 + timeouts with the line silent since the query went out: each doubles the next wait, up to 8×, so a line
   * that is not up yet is not flooded. A line that talks (but mangles) keeps the short wait.
   */
  sends: number;
  sentAt: number;
  timer: TimerHandle | null;
}

/** Bytes a reply may take, for its timeout: firmware name ≤ 32 chars, capability of a big board, 128 pins mapped. */
const REPLY_BYTES: Record<QueryKind, number> = { version: 3, firmware: 4 + 2 * FIRMWARE_NAME_MAX + 1, capability: 512, analog: 131 };

const QUERY_BYTES: Record<QueryKind, Uint8Array> = {
  version: Uint8Array.of(FirmataCommand.REPORT_VERSION),
  firmware: Uint8Array.of(FirmataCommand.START_SYSEX, FirmataSysex.REPORT_FIRMWARE, FirmataCommand.END_SYSEX),
  capability: Uint8Array.of(FirmataCommand.START_SYSEX, FirmataSysex.CAPABILITY_QUERY, FirmataCommand.END_SYSEX),
  analog: Uint8Array.of(FirmataCommand.START_SYSEX, FirmataSysex.ANALOG_MAPPING_QUERY, FirmataCommand.END_SYSEX),
};

const KNOWN_MODES = new Set<number>(Object.values(PinMode));
const ONE_BIT_MODES = new Set<number>([PinMode.INPUT, PinMode.OUTPUT, PinMode.PULLUP]);

/** What a host write asks the board for, if it is a query the gate tracks. */
function queryOf(bytes: Uint8Array): { kind: QueryKind } | { kind: 'pin-state'; pin: number } | null {
  if (bytes.length === 1 && bytes[0] === FirmataCommand.REPORT_VERSION) return { kind: 'version' };
  if (bytes[0] !== FirmataCommand.START_SYSEX || bytes[bytes.length - 1] !== FirmataCommand.END_SYSEX) return null;
  switch (bytes[1]) {
    case FirmataSysex.REPORT_FIRMWARE: return { kind: 'firmware' };
    case FirmataSysex.CAPABILITY_QUERY: return { kind: 'capability' };
    case FirmataSysex.ANALOG_MAPPING_QUERY: return { kind: 'analog' };
    case FirmataSysex.PIN_STATE_QUERY: return bytes.length === 4 ? { kind: 'pin-state', pin: bytes[2] } : null;
    default: return null;
  }
}

/** Reasons a capability body is not one a board would send; '' when it is plausible. */
export function capabilityProblem(c: CapabilityResponse): string {
  if (c.pins.length === 0 || c.pins.length > 128) return `${c.pins.length} pins`;
  for (let p = 0; p < c.pins.length; p++) {
    let previous = -1;
    for (const { mode, resolution } of c.pins[p]) {
      if (!KNOWN_MODES.has(mode)) return `pin ${p}: unknown mode ${mode}`;
      if (mode <= previous) return `pin ${p}: modes out of order`;
      if (ONE_BIT_MODES.has(mode) ? resolution !== 1 : resolution < 1 || resolution > 16) return `pin ${p}: resolution ${resolution} for mode ${mode}`;
      previous = mode;
    }
  }
  return '';
}

/** Reasons an analog mapping body does not fit the capability table; '' when it does. */
export function analogMappingProblem(mapping: readonly number[], c: CapabilityResponse): string {
  if (mapping.length !== c.pins.length) return `${mapping.length} entries for ${c.pins.length} pins`;
  const seen = new Set<number>();
  for (let p = 0; p < mapping.length; p++) {
    const ch = mapping[p];
    if (ch === Layout.NO_ANALOG_CHANNEL) continue;
    if (ch > 15 || seen.has(ch)) return `pin ${p}: channel ${ch}`;
    if (!c.pins[p].some((m) => m.mode === PinMode.ANALOG)) return `pin ${p}: channel ${ch} on a pin without ANALOG`;
    seen.add(ch);
  }
  return '';
}

const sameBytes = (a: readonly number[] | undefined, b: readonly number[]): boolean => a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

type Framing =
  | { readonly kind: 'idle' }
  | { readonly kind: 'discard' }
  | { readonly kind: 'midi'; readonly bytes: number[] }
  | { readonly kind: 'sysex'; readonly bytes: number[] };

export class FrameGate {
  readonly stats: FrameGateStats = { forwarded: 0, dropped: 0, corruptExtension: 0, queryRetries: 0, confirmations: 0, handlerErrors: 0, recentDrops: [] };
  private framing: Framing = { kind: 'idle' };
  private readonly queries = new Map<QueryKind, Query>();
  private readonly pinStateQueries = new Set<number>();
  private versionSeen = false;
  private firmwareSeen = false;
  /** Forwarded to firmata-io, so the table is what firmata-io holds. */
  private capability: CapabilityResponse | null = null;
  private capabilityBody: number[] | null = null;
  private mappingBody: number[] | null = null;
  private firmwareBody: number[] | null = null;
  private analogChannels = new Set<number>();
  /** The previous plausible reply, waiting for a second one to agree. */
  private unconfirmed: { capability?: number[]; analog?: number[]; firmware?: number[] } = {};
  private closed = false;
  private lastHeardAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: FrameGateOptions) {}

  /** The pin table firmata-io was given (both parts), for the next connection's knownPins. */
  get pinTable(): PinTable | null {
    return this.capabilityBody && this.mappingBody && this.firmwareBody
      ? { capability: this.capabilityBody, analogMapping: this.mappingBody, firmware: this.firmwareBody } : null;
  }

  /** A write from firmata-io / johnny-five: noted if it is a query, then sent. */
  fromHost(bytes: Uint8Array): void {
    const q = queryOf(bytes);
    if (q?.kind === 'pin-state') this.pinStateQueries.add(q.pin);
    else if (q) this.track(q.kind);
    this.o.write(bytes);
  }

  /** Bytes from the board, in arrival order, any chunking. */
  fromBoard(chunk: Uint8Array): void {
    if (chunk.length) this.lastHeardAt = this.o.timers.now();
    for (const byte of chunk) this.step(byte);
  }

  /** Stops the retry timers; later input is ignored. */
  close(): void {
    this.closed = true;
    for (const q of this.queries.values()) if (q.timer !== null) this.o.timers.clearTimeout(q.timer);
    this.queries.clear();
  }

  // ---- framing --------------------------------------------------------------------------------------------

  private step(byte: number): void {
    if (this.closed) return;
    const f = this.framing;
    if (byte < 0x80) {
      if (f.kind === 'midi') {
        f.bytes.push(byte);
        if (f.bytes.length === 3) {
          this.framing = { kind: 'idle' };
          this.onMidi(f.bytes);
        }
      } else if (f.kind === 'sysex') {
        if (f.bytes.length - 1 > MAX_BOARD_SYSEX_BODY) {
          this.drop(`sysex 0x${(f.bytes[1] ?? 0).toString(16)} longer than ${MAX_BOARD_SYSEX_BODY} bytes`);
          this.framing = { kind: 'discard' };
        } else {
          f.bytes.push(byte);
        }
      } else if (f.kind === 'idle') {
        this.drop('data byte outside a message');
        this.framing = { kind: 'discard' };
      }
      return;
    }
    if (byte === FirmataCommand.END_SYSEX) {
      this.framing = { kind: 'idle' };
      if (f.kind === 'sysex') this.onSysex([...f.bytes, byte]);
      else if (f.kind === 'midi') this.drop('MIDI message cut short by F7');
      return;
    }
    if (f.kind === 'midi' || f.kind === 'sysex') this.drop(`message 0x${f.bytes[0].toString(16)} cut short by status byte 0x${byte.toString(16)}`);
    if (byte === FirmataCommand.START_SYSEX) {
      this.framing = { kind: 'sysex', bytes: [byte] };
    } else if (byte === FirmataCommand.REPORT_VERSION || (byte & 0xf0) === FirmataCommand.DIGITAL_MESSAGE || (byte & 0xf0) === FirmataCommand.ANALOG_MESSAGE) {
      this.framing = { kind: 'midi', bytes: [byte] };
    } else {
      // Status bytes a board never sends: drop them and the data bytes that follow.
      this.drop(`status byte 0x${byte.toString(16)}`);
      this.framing = { kind: 'discard' };
    }
  }

  // ---- messages -------------------------------------------------------------------------------------------

  private onMidi(bytes: number[]): void {
    const status = bytes[0];
    if (status === FirmataCommand.REPORT_VERSION) {
      this.versionSeen = true;
      this.answered('version');
      this.forward(bytes);
      return;
    }
    if (!this.capability) {
      this.drop(`report 0x${status.toString(16)} before the pin table`);
      return;
    }
    if ((status & 0xf0) === FirmataCommand.DIGITAL_MESSAGE) {
      if ((status & 0x0f) * 8 >= this.capability.pins.length) this.drop(`digital report for port ${status & 0x0f}, beyond the pins`);
      else this.forward(bytes);
      return;
    }
    if (!this.analogChannels.has(status & 0x0f)) this.drop(`analog report for unmapped channel ${status & 0x0f}`);
    else this.forward(bytes);
  }

  private onSysex(bytes: number[]): void {
    if (bytes.length < 3) {
      this.drop('empty sysex');
      return;
    }
    const id = bytes[1];
    const body = bytes.slice(2, -1);
    if (id === EdSysex.CLASSIFY_REPLY || id === EdSysex.PROTOCOL_INFO_REPLY || id === EdSysex.ERROR_REPLY) {
      this.onExtensionFrame(id, body);
      return;
    }
    if (!this.versionSeen) {
      this.drop(`sysex 0x${id.toString(16)} before the version report`);
      return;
    }
    let m: BoardMessage;
    try {
      m = decodeSysexBody(id, body);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.drop(`sysex 0x${id.toString(16)}: ${e.message}`);
      this.retryNow(id);
      return;
    }
    switch (m.kind) {
      case 'firmware':
        if (this.firmwareSeen && !this.queries.has('firmware')) return this.drop('REPORT_FIRMWARE nobody asked for');
        if (m.name.length === 0 || m.name.length > FIRMWARE_NAME_MAX || !/^[\x20-\x7e]+$/.test(m.name)) {
          this.drop(`REPORT_FIRMWARE with an unprintable name`);
          this.retryNow(id);
          return;
        }
        if (!sameBytes(this.o.knownPins?.firmware, body) && !sameBytes(this.firmwareBody ?? undefined, body) && !sameBytes(this.unconfirmed.firmware, body)) {
          // A flipped bit can leave the name printable: take it when a second report agrees.
          this.unconfirmed.firmware = body;
          this.stats.confirmations++;
          if (!this.queries.has('firmware')) this.track('firmware');
          this.o.write(QUERY_BYTES.firmware);
          return;
        }
        this.firmwareSeen = true;
        this.firmwareBody = body;
        this.answered('firmware');
        return this.forward(bytes);
      case 'capability':
        return this.onCapability(m, body, bytes);
      case 'analog-mapping':
        return this.onAnalogMapping(body, bytes);
      case 'pin-state':
        if (!this.pinStateQueries.has(m.pin) || !this.capability || m.pin >= this.capability.pins.length) return this.drop(`PIN_STATE_RESPONSE for pin ${m.pin} nobody asked for`);
        this.pinStateQueries.delete(m.pin);
        return this.forward(bytes);
      default:
        return this.drop(`sysex 0x${id.toString(16)}`);
    }
  }

  private onExtensionFrame(id: number, body: number[]): void {
    let m: BoardMessage;
    try {
      m = decodeSysexBody(id, body);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.corruptExtension++;
      this.o.onCorruptExtension?.(e);
      return;
    }
    if (m.kind === 'classify-reply' || m.kind === 'protocol-info' || m.kind === 'error-reply') this.o.onExtension(m);
  }

  private onCapability(m: CapabilityResponse, body: number[], bytes: number[]): void {
    if (!this.queries.has('capability')) return this.drop('CAPABILITY_RESPONSE nobody asked for');
    if (this.capability) {
      // Asked again after the handshake (a johnny-five user's queryCapabilities): firmata-io keeps its first table
      // and only fires the callback, so pass the same table and nothing else.
      if (!sameBytes(this.capabilityBody ?? undefined, body)) return this.drop('CAPABILITY_RESPONSE that differs from the table');
      this.answered('capability');
      return this.forward(bytes);
    }
    const problem = capabilityProblem(m);
    if (problem) {
      this.drop(`CAPABILITY_RESPONSE: ${problem}`);
      return this.retryNow(FirmataSysex.CAPABILITY_RESPONSE);
    }
    if (!sameBytes(this.o.knownPins?.capability, body) && !sameBytes(this.unconfirmed.capability, body)) {
      // Plausible but unconfirmed: ask again, and take it when the next reply agrees.
      this.unconfirmed.capability = body;
      this.stats.confirmations++;
      return this.retryNow(FirmataSysex.CAPABILITY_RESPONSE, true);
    }
    this.capability = m;
    this.capabilityBody = body;
    this.answered('capability');
    this.forward(bytes);
  }

  private onAnalogMapping(body: number[], bytes: number[]): void {
    // Never a second one: firmata-io appends every mapping to analogPins, so a repeat would double the table.
    if (!this.queries.has('analog') || !this.capability || this.mappingBody) return this.drop('ANALOG_MAPPING_RESPONSE nobody asked for (or a second one)');
    const problem = analogMappingProblem(body, this.capability);
    if (problem) {
      this.drop(`ANALOG_MAPPING_RESPONSE: ${problem}`);
      return this.retryNow(FirmataSysex.ANALOG_MAPPING_RESPONSE);
    }
    const known = this.o.knownPins && sameBytes(this.o.knownPins.capability, this.capabilityBody ?? []) ? this.o.knownPins.analogMapping : undefined;
    if (!sameBytes(known, body) && !sameBytes(this.unconfirmed.analog, body)) {
      this.unconfirmed.analog = body;
      this.stats.confirmations++;
      return this.retryNow(FirmataSysex.ANALOG_MAPPING_RESPONSE, true);
    }
    this.mappingBody = body;
    this.analogChannels = new Set(body.filter((c) => c !== Layout.NO_ANALOG_CHANNEL));
    this.answered('analog');
    this.forward(bytes);
  }

  // ---- queries --------------------------------------------------------------------------------------------

  private track(kind: QueryKind): void {
    const existing = this.queries.get(kind);
    if (existing?.timer != null) this.o.timers.clearTimeout(existing.timer);
    const q: Query = { kind, bytes: QUERY_BYTES[kind], replyBytes: REPLY_BYTES[kind], sends: 1, sentAt: this.o.timers.now(), timer: null };
    this.queries.set(kind, q);
    this.arm(q);
  }

  private arm(q: Query): void {
    const ms = ((q.bytes.length + q.replyBytes) * this.o.byteMs + this.o.marginMs) * Math.min(2 ** (q.sends - 1), 8);
    q.timer = this.o.timers.setTimeout(() => {
      q.timer = null;
      if (this.lastHeardAt < q.sentAt) q.sends++;
      this.resend(q);
    }, ms);
  }

  private resend(q: Query, confirming = false): void {
    if (this.closed || this.queries.get(q.kind) !== q) return;
    // A firmware report is only taken after a version report: ask for that again too while none has come.
    if (q.kind === 'firmware' && !this.versionSeen && !this.queries.has('version')) this.o.write(QUERY_BYTES.version);
    if (!confirming) this.stats.queryRetries++;
    if (q.timer !== null) this.o.timers.clearTimeout(q.timer);
    this.o.write(q.bytes);
    q.sentAt = this.o.timers.now();
    this.arm(q);
  }

  /** The board answered a query with something unusable: ask again now rather than at the timeout. */
  private retryNow(replyId: number, confirming = false): void {
    const kind: QueryKind | null = replyId === FirmataSysex.REPORT_FIRMWARE ? 'firmware'
      : replyId === FirmataSysex.CAPABILITY_RESPONSE ? 'capability'
        : replyId === FirmataSysex.ANALOG_MAPPING_RESPONSE ? 'analog' : null;
    const q = kind ? this.queries.get(kind) : undefined;
    if (q) this.resend(q, confirming);
  }

  private answered(kind: QueryKind): void {
    const q = this.queries.get(kind);
    if (q?.timer != null) this.o.timers.clearTimeout(q.timer);
    this.queries.delete(kind);
  }

  private forward(bytes: number[]): void {
    this.stats.forwarded++;
    try {
      this.o.forward(Uint8Array.from(bytes));
    } catch {
      // firmata-io threw on a message the gate judged sound: keep the read side alive, count it.
      this.stats.handlerErrors++;
    }
  }

  private drop(reason: string): void {
    this.stats.dropped++;
    this.stats.recentDrops.push(reason);
    if (this.stats.recentDrops.length > 20) this.stats.recentDrops.shift();
  }
}
