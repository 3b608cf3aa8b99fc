/**
 * The reliability core of the board link, free of any I/O: sequence numbers, a bounded number of requests in
 * flight, per-attempt timeouts, bounded retries and reply matching. The connection feeds it decoded board
 * messages and gives it a `send` function; timers are injectable so every rule is testable without a clock.
 *
 * Rules (docs/board-link.md):
 * - A request keeps ONE sequence number for all its attempts. The seq names the request (its pixels), not the
 *   transmission, so any CRC-valid reply carrying it is a correct answer, whichever attempt it answers; replies
 *   for seqs that are not pending (late, duplicate, corrupted into another seq and still CRC-valid is 2^-16
 *   unlikely) are dropped and counted, never handed to another request.
 * - Each transmission is a "copy in flight". An error reply naming the seq retires one copy; only when no copy
 *   is left is the request resent at once (so the STRAY_STATUS_BYTE error a retry's own F0 provokes for an
 *   earlier, truncated copy does not trigger yet another copy). A timeout resends whatever copies are out.
 * - The board answers frames strictly in arrival order, and the port delivers them in the order they were
 *   written. So an answer (reply or error) to a copy transmitted after every copy of request p means p's copies
 *   or their answers were lost: p is resent at once ("overtaken") instead of waiting for its timeout — with a
 *   window of requests in flight, a lost reply then costs one round trip, not a timeout.
 * - Every request ends: replied, rejected after `attempts` transmissions, rejected when the link is suspended
 *   longer than `disconnectedWaitMs`, or rejected when the tracker is closed.
 */
import { BoardProtocolError, DisconnectedError, TimeoutError } from './errors.js';
import {
  EdSysex, Layout, errorReasonName, type ClassifyReply, type ErrorReply, type ProtocolInfoReply,
} from './protocol/index.js';

export type TimerHandle = unknown;

/** The clock and timers the tracker uses; tests pass a fake one. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RequestTrackerOptions {
  /** Port name for error messages. */
  readonly port: string;
  /**
   * Per transmission: how long to wait for the reply beyond its time on the line, before sending again. The line
   * time is modelled from `byteMs`: the frame waits for the frames written before it, then takes its own bytes,
   * then the reply's — so at 9 600 baud a request queued behind three others is not given up before it was sent.
   */
  readonly timeoutMs: number;
  /** Milliseconds per byte at the line rate (10 000 / baud for 8N1); 0 ignores the line time. Default 0. */
  readonly byteMs?: number;
  /** Transmissions per request, the first included (≥ 1). */
  readonly attempts: number;
  /** Requests transmitted and not yet answered, at most. Further requests wait in order. */
  readonly maxInFlight: number;
  /** How long requests wait for the link to come back once suspended, before rejecting with DisconnectedError. */
  readonly disconnectedWaitMs: number;
  readonly timers?: Timers;
}

/** A reply with how it was obtained. */
export interface Answered<R> {
  readonly reply: R;
  /** Transmissions it took (1 = no retry). */
  readonly attempts: number;
  /** From the first transmission to the accepted reply. */
  readonly roundTripMs: number;
}

export interface TrackerStats {
  transmissions: number;
  retries: number;
  replies: number;
  /** CRC-valid replies that matched no pending request (late, duplicate). */
  unmatchedReplies: number;
  errorReplies: number;
  /** Error replies that named no request in flight (about other traffic or older copies). */
  unmatchedErrorReplies: number;
  timeouts: number;
  /** Resent because a later transmission was answered first (lost request or reply). */
  overtaken: number;
}

type ReplyOf = { 'classify-reply': ClassifyReply; 'protocol-info': ProtocolInfoReply };
type ReplyKind = keyof ReplyOf;

interface Pending {
  readonly seq: number;
  readonly command: number;
  readonly commandName: string;
  readonly replyKind: ReplyKind;
  readonly frame: Uint8Array;
  /** Goes out before other requests, even while the link is held or the window is full (connection checks). */
  readonly priority: boolean;
  transmissions: number;
  /** Transmission numbers of the copies in flight, oldest first. */
  copies: number[];
  firstSentAt: number | null;
  /** The reply timeout of the latest transmission. */
  timer: TimerHandle | null;
  /** Armed while the request waits for the link; not re-armed by further suspends, so waits stay bounded. */
  deadline: TimerHandle | null;
  /** What went wrong with earlier copies, in order: board error reasons, 'timeout', 'overtaken'. */
  readonly problems: string[];
  /** Whether the latest problem was an error reply from the board. */
  lastProblemFromBoard: boolean;
  readonly resolve: (a: Answered<ClassifyReply | ProtocolInfoReply>) => void;
  readonly reject: (e: Error) => void;
}

const COMMAND_NAMES: Readonly<Record<number, string>> = {
  [EdSysex.CLASSIFY_REQUEST]: 'CLASSIFY_REQUEST',
  [EdSysex.PROTOCOL_INFO_QUERY]: 'PROTOCOL_INFO_QUERY',
};

function checkOptions(o: RequestTrackerOptions): void {
  const positive = (v: number, name: string, integer: boolean): void => {
    if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new TypeError(`RequestTracker: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    }
  };
  positive(o.timeoutMs, 'timeoutMs', false);
  positive(o.attempts, 'attempts', true);
  positive(o.maxInFlight, 'maxInFlight', true);
  positive(o.disconnectedWaitMs, 'disconnectedWaitMs', false);
  if (o.byteMs !== undefined && !(o.byteMs >= 0 && Number.isFinite(o.byteMs))) throw new TypeError(`RequestTracker: byteMs must be a finite number ≥ 0, got ${o.byteMs}`);
  if (o.maxInFlight > Layout.SEQ_MAX) throw new TypeError(`RequestTracker: maxInFlight must be ≤ ${Layout.SEQ_MAX}, got ${o.maxInFlight}`);
}

export class RequestTracker {
  readonly stats: TrackerStats = { transmissions: 0, retries: 0, replies: 0, unmatchedReplies: 0, errorReplies: 0, unmatchedErrorReplies: 0, timeouts: 0, overtaken: 0 };
  private readonly timers: Timers;
  /** Every request not yet ended, by seq, in submission order. */
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for a transmission slot (or for the link), in submission order. */
  private queue: Pending[] = [];
  private send: ((frame: Uint8Array) => void) | null = null;
  /** Link up but only priority requests may go (the connection is still being checked). */
  private held = false;
  private nextSeq = 0;
  /** Numbers every transmission in write order. */
  private txCounter = 0;
  private closedReason: string | null = null;
  /** When the bytes written so far will have left the host, on the line-rate model. */
  private lineFreeAt = 0;
  private suspendReason = 'not connected yet';

  constructor(private readonly o: RequestTrackerOptions) {
    checkOptions(o);
    this.timers = o.timers ?? systemTimers;
  }

  /** Requests submitted and not yet ended. */
  get size(): number {
    return this.pending.size;
  }

  get inFlight(): number {
    return this.pending.size - this.queue.length;
  }

  classify(encode: (seq: number) => Uint8Array): Promise<Answered<ClassifyReply>> {
    return this.submit(EdSysex.CLASSIFY_REQUEST, 'classify-reply', encode, false);
  }

  /** `priority`: jump the queue and go out even while the link is held (see resume). */
  protocolInfo(encode: (seq: number) => Uint8Array, priority = false): Promise<Answered<ProtocolInfoReply>> {
    return this.submit(EdSysex.PROTOCOL_INFO_QUERY, 'protocol-info', encode, priority);
  }

  /**
   * The link is up: transmit through `send` from now on, requests waiting first, in order. With `hold`, only
   * priority requests go out until release() — so a new connection can be checked before the backlog is sent;
   * held requests keep their disconnect deadline meanwhile.
   */
  resume(send: (frame: Uint8Array) => void, options: { readonly hold?: boolean } = {}): void {
    if (this.closedReason !== null) return;
    this.send = send;
    this.held = options.hold ?? false;
    this.lineFreeAt = 0;
    this.pump();
  }

  release(): void {
    this.held = false;
    this.pump();
  }

  /**
   * The link is down: nothing is transmitted until resume(); copies in flight are presumed lost (the attempt
   * they used is given back) and every pending request rejects after disconnectedWaitMs unless resumed first.
   */
  suspend(reason: string): void {
    if (this.closedReason !== null) return;
    this.send = null;
    this.held = false;
    this.suspendReason = reason;
    for (const p of this.pending.values()) {
      if (p.copies.length > 0) p.transmissions -= 1;
      p.copies = [];
      if (p.timer !== null) this.timers.clearTimeout(p.timer);
      p.timer = null;
      this.armDisconnectDeadline(p);
    }
    this.queue = [...this.pending.values()];
  }

  /** Rejects everything pending and every later request with DisconnectedError. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.send = null;
    for (const p of [...this.pending.values()]) this.finish(p, new DisconnectedError(this.o.port, `${p.commandName} seq ${p.seq}`, reason));
  }

  /** A decoded board message that concerns requests; anything else is ignored. */
  handleReply(m: ClassifyReply | ProtocolInfoReply): void {
    const p = this.pending.get(m.seq);
    if (!p || p.replyKind !== m.kind || p.transmissions === 0) {
      this.stats.unmatchedReplies++;
      return;
    }
    this.stats.replies++;
    const roundTripMs = this.timers.now() - (p.firstSentAt ?? this.timers.now());
    const answered = p.copies[0];
    this.finish(p, null, { reply: m, attempts: p.transmissions, roundTripMs });
    if (answered !== undefined) this.resendOvertaken(answered);
  }

  handleErrorReply(e: ErrorReply): void {
    this.stats.errorReplies++;
    const p = this.requestNamedBy(e);
    if (!p) {
      this.stats.unmatchedErrorReplies++;
      return;
    }
    p.problems.push(errorReasonName(e.reason));
    p.lastProblemFromBoard = true;
    const answered = p.copies.shift() as number;
    if (p.copies.length === 0) this.retryOrFail(p);
    this.resendOvertaken(answered);
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private submit<K extends ReplyKind>(command: number, replyKind: K, encode: (seq: number) => Uint8Array, priority: boolean): Promise<Answered<ReplyOf[K]>> {
    const commandName = COMMAND_NAMES[command];
    if (this.closedReason !== null) return Promise.reject(new DisconnectedError(this.o.port, commandName, this.closedReason));
    const seq = this.allocateSeq();
    const frame = encode(seq);
    return new Promise<Answered<ReplyOf[K]>>((resolve, reject) => {
      const p: Pending = {
        seq, command, commandName, replyKind, frame, priority, transmissions: 0, copies: [], firstSentAt: null, timer: null, deadline: null, problems: [], lastProblemFromBoard: false,
        resolve: resolve as (a: Answered<ClassifyReply | ProtocolInfoReply>) => void, reject,
      };
      this.pending.set(seq, p);
      if (priority) this.queue.unshift(p);
      else this.queue.push(p);
      if (this.send === null || (this.held && !priority)) this.armDisconnectDeadline(p);
      this.pump();
    });
  }

  /** Next seq not used by a pending request (14-bit, wrapping). */
  private allocateSeq(): number {
    for (;;) {
      const seq = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & Layout.SEQ_MAX;
      if (!this.pending.has(seq)) return seq;
    }
  }

  /** Transmits queued requests in order while the window has room; priority ones regardless. */
  private pump(): void {
    if (this.send === null) return;
    for (const p of [...this.queue]) {
      if (!p.priority && (this.held || this.inFlight >= this.o.maxInFlight)) continue;
      this.queue.splice(this.queue.indexOf(p), 1);
      this.transmit(p);
    }
  }

  private transmit(p: Pending): void {
    const send = this.send;
    if (send === null) return;
    if (p.transmissions > 0) this.stats.retries++;
    p.transmissions++;
    p.copies.push(this.txCounter++);
    const now = this.timers.now();
    p.firstSentAt ??= now;
    this.stats.transmissions++;
    this.clearTimers(p);
    p.timer = this.timers.setTimeout(() => this.onTimeout(p), this.lineTimeMs(p, now) + this.o.timeoutMs);
    send(p.frame);
  }

  /** Line time of a transmission written now: the queue ahead of it, its own bytes, its reply's bytes. */
  private lineTimeMs(p: Pending, now: number): number {
    const byteMs = this.o.byteMs ?? 0;
    if (byteMs === 0) return 0;
    this.lineFreeAt = Math.max(now, this.lineFreeAt) + p.frame.length * byteMs;
    const replyBytes = 3 + (p.replyKind === 'classify-reply' ? Layout.CLASSIFY_REPLY_BODY_LEN : Layout.PROTOCOL_INFO_REPLY_BODY_LEN);
    return this.lineFreeAt - now + replyBytes * byteMs;
  }

  private onTimeout(p: Pending): void {
    p.timer = null;
    this.stats.timeouts++;
    p.problems.push('timeout');
    p.lastProblemFromBoard = false;
    // Copies still counted in flight keep their place: an error reply for one of them must not trigger a resend.
    this.retryOrFail(p);
  }

  /** Every copy of `p` earlier than transmission `answered` is lost: the board would have answered it first. */
  private resendOvertaken(answered: number): void {
    for (const p of [...this.pending.values()]) {
      if (p.copies.length === 0 || p.copies[p.copies.length - 1] >= answered) continue;
      this.stats.overtaken++;
      p.copies = [];
      p.problems.push('overtaken');
      p.lastProblemFromBoard = false;
      this.retryOrFail(p);
    }
  }

  /** Resends `p` if it has attempts left; otherwise rejects it with what went wrong. */
  private retryOrFail(p: Pending): void {
    if (p.transmissions < this.o.attempts) {
      this.transmit(p);
      return;
    }
    if (p.copies.length > 0 && p.timer !== null) return; // a copy is still out: its answer or timeout decides
    const command = `${p.commandName} seq ${p.seq}`;
    const history = `${p.transmissions} attempt(s): ${p.problems.join(', ')}`;
    if (p.lastProblemFromBoard) {
      this.finish(p, new BoardProtocolError(this.o.port, command, `the board rejected it; ${history}`, p.problems[p.problems.length - 1]));
    } else {
      this.finish(p, new TimeoutError(this.o.port, command, `no valid reply (timeout ${this.o.timeoutMs} ms) on any of ${history}`));
    }
  }

  /**
   * The in-flight request an error reply is about: the one with its seq (when SEQ_VALID) and command; without a
   * seq, the only in-flight request of that command (or of any, for NO_COMMAND) — with several, it is unknown.
   */
  private requestNamedBy(e: ErrorReply): Pending | undefined {
    const inFlight = (p: Pending): boolean => p.copies.length > 0;
    if (e.seq !== null) {
      const p = this.pending.get(e.seq);
      return p && p.command === e.command && inFlight(p) ? p : undefined;
    }
    const candidates = [...this.pending.values()].filter((p) => inFlight(p) && (e.command === Layout.NO_COMMAND || p.command === e.command));
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  private armDisconnectDeadline(p: Pending): void {
    if (p.deadline !== null) return;
    p.deadline = this.timers.setTimeout(() => {
      p.deadline = null;
      this.finish(p, new DisconnectedError(this.o.port, `${p.commandName} seq ${p.seq}`, `${this.suspendReason}; not reconnected within ${this.o.disconnectedWaitMs} ms`));
    }, this.o.disconnectedWaitMs);
  }

  private clearTimers(p: Pending): void {
    if (p.timer !== null) this.timers.clearTimeout(p.timer);
    if (p.deadline !== null) this.timers.clearTimeout(p.deadline);
    p.timer = null;
    p.deadline = null;
  }

  private finish(p: Pending, error: Error | null, answer?: Answered<ClassifyReply | ProtocolInfoReply>): void {
    this.clearTimers(p);
    this.pending.delete(p.seq);
    const at = this.queue.indexOf(p);
    if (at >= 0) this.queue.splice(at, 1);
    if (error) p.reject(error);
    else if (answer) p.resolve(answer);
    this.pump();
  }
}
