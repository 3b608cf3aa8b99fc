/**
 * What the server classifies with: a board over serial (real, virtual or QEMU — the same DigitBoard client as
 * `run`), or the TypeScript simulator. The board engine keeps the link's health for the page (connected,
 * reconnecting, lost; connects, retries, timeouts) and keeps trying to reach a board that went away for good,
 * so the page recovers whenever the board comes back.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DigitBoard, startQemuBoard, startVirtualBoard, type DigitBoardOptions, type DigitBoardStats,
} from '../device/index.js';
import { loadArtifact, Simulator } from '../quantize/index.js';
import type { BoardKind, BoardState, BoardStatusJson } from './protocol.js';

export interface EngineAnswer {
  readonly digit: number;
  readonly logits: Int8Array;
  /** Inference time: the board's micros() for a board, host time for the simulator. */
  readonly inferenceMicros: number;
}

/** The board is not connected (lost, reconnecting, closed): the frame is answered with this reason. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

export interface ServeEngine {
  /** Requests it takes at once; the fair scheduler never gives it more. */
  readonly window: number;
  status(): Omit<BoardStatusJson, 'sessions'>;
  /** Called on every state change (connected ↔ reconnecting ↔ lost); returns an unsubscribe function. */
  onStatus(listener: () => void): () => void;
  classify(pixels: Uint8Array): Promise<EngineAnswer>;
  close(): Promise<void>;
}

/** The TypeScript int8 simulator: always connected; its inference time is measured on the host. */
export function openSimEngine(artifactPath: string): ServeEngine {
  const sim = new Simulator(loadArtifact(artifactPath));
  let closed = false;
  return {
    window: 1,
    status: () => ({
      kind: 'sim', name: 'simulator (TypeScript int8, on the host)', path: null, state: closed ? 'closed' : 'connected',
      firmware: null, protocol: null, connects: 1, disconnects: 0, retries: 0, timeouts: 0, corrupt_frames: 0, in_flight: 0,
      last_error: null, inference_clock: 'host',
    }),
    onStatus: () => () => {},
    classify: async (pixels) => {
      if (closed) throw new EngineUnavailableError('the simulator was closed');
      const t0 = performance.now();
      const r = sim.classify(pixels);
      return { digit: r.digit, logits: r.logits, inferenceMicros: Math.round((performance.now() - t0) * 1000) };
    },
    close: async () => { closed = true; },
  };
}

export interface BoardEngineOptions {
  /** Serial port, pty, or the stable link of a virtual board. */
  readonly path: string;
  readonly kind: Exclude<BoardKind, 'sim'>;
  readonly name: string;
  /** Requests on the wire at once (1 for QEMU and a Nano 33 BLE under load). Default 4. */
  readonly window?: number;
  /** Passed to DigitBoard.connect; the defaults below suit a live page (fail a frame fast, don't stall). */
  readonly board?: DigitBoardOptions;
  /** Once DigitBoard gives up reconnecting: try a fresh connection this often. Default 1000 ms. */
  readonly retryEveryMs?: number;
  /** Called when the engine closes, after the board link (stops a virtual board or QEMU). */
  readonly onClose?: () => Promise<void>;
  readonly log?: (line: string) => void;
}

const STAT_KEYS = ['retries', 'timeouts', 'corruptFrames', 'disconnects'] as const;

/** A board over serial through DigitBoard. Rejects like DigitBoard.connect when the first connection fails. */
export async function openBoardEngine(o: BoardEngineOptions): Promise<ServeEngine> {
  const window = o.window ?? 4;
  const connectOptions: DigitBoardOptions = {
    maxInFlight: window, requestTimeoutMs: 500, disconnectedWaitMs: 1500,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000, giveUpAfterMs: 10_000 },
    ...(o.log ? { log: o.log } : {}),
    ...o.board,
  };
  const events = new EventEmitter();
  let board: DigitBoard | null = await DigitBoard.connect(o.path, connectOptions);
  let state: BoardState = 'connected';
  let lastError: string | null = null;
  let connects = 1;
  /** Counters of boards already given up on, so the page's totals never go backwards. */
  const past: Record<(typeof STAT_KEYS)[number], number> = { retries: 0, timeouts: 0, corruptFrames: 0, disconnects: 0 };
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const setState = (s: BoardState, error?: string): void => {
    state = s;
    if (error !== undefined) lastError = error;
    events.emit('status');
  };

  const attach = (b: DigitBoard): void => {
    b.on('disconnect', (reason) => setState('reconnecting', reason));
    b.on('reconnect', () => { connects++; setState('connected'); });
    b.on('close', (reason) => {
      if (closed) return;
      const stats: DigitBoardStats = b.stats;
      for (const k of STAT_KEYS) past[k] += stats[k];
      board = null;
      setState('lost', reason);
      scheduleRetry();
    });
  };

  const scheduleRetry = (): void => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void DigitBoard.connect(o.path, connectOptions).then(
        (b) => {
          if (closed) {
            void b.close();
            return;
          }
          board = b;
          connects++;
          attach(b);
          o.log?.(`${o.path}: the board is back`);
          setState('connected');
        },
        (e: unknown) => {
          lastError = (e as Error).message;
          scheduleRetry();
        },
      );
    }, o.retryEveryMs ?? 1000);
  };

  attach(board);
  const identity = (): { firmware: string | null; protocol: string | null } => {
    if (!board) return { firmware: null, protocol: null };
    const i = board.info;
    return { firmware: `${i.firmwareName} ${i.firmwareVersion}`.trim() || null, protocol: `${i.protocol.protocolMajor}.${i.protocol.protocolMinor}` };
  };

  return {
    window,
    status: () => {
      const s = board?.stats;
      return {
        kind: o.kind, name: o.name, path: o.path, state: closed ? 'closed' : state, ...identity(),
        connects,
        disconnects: past.disconnects + (s?.disconnects ?? 0),
        retries: past.retries + (s?.retries ?? 0),
        timeouts: past.timeouts + (s?.timeouts ?? 0),
        corrupt_frames: past.corruptFrames + (s?.corruptFrames ?? 0),
        in_flight: board?.pendingRequests ?? 0,
        last_error: lastError,
        inference_clock: 'board',
      };
    },
    onStatus: (listener) => {
      events.on('status', listener);
      return () => events.off('status', listener);
    },
    classify: async (pixels) => {
      if (closed) throw new EngineUnavailableError('the board link was closed');
      // A page wants the answer now or a clear "board lost", not a frame parked until the board returns.
      if (!board || state !== 'connected') throw new EngineUnavailableError(`board ${state}${lastError ? `: ${lastError}` : ''}`);
      const r = await board.classify(pixels);
      return { digit: r.digit, logits: r.logits, inferenceMicros: r.deviceMicros };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const b = board;
      board = null;
      events.emit('status');
      try {
        await b?.close();
      } finally {
        await o.onClose?.();
      }
    },
  };
}

export type EngineChoice =
  | { readonly kind: 'sim' }
  | { readonly kind: 'virtual' }
  | { readonly kind: 'qemu' }
  | { readonly kind: 'port'; readonly path: string };

/**
 * Starts what `serve` classifies with: the simulator, the virtual board (generated firmware behind a pty, on a
 * stable link so a restarted board is found again), QEMU, or a real board at a port.
 */
export async function openServeEngine(choice: EngineChoice, artifact: string, log: (line: string) => void): Promise<ServeEngine> {
  switch (choice.kind) {
    case 'sim':
      return openSimEngine(artifact);
    case 'port':
      return openBoardEngine({ path: choice.path, kind: 'port', name: `board at ${choice.path}`, log });
    case 'virtual': {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-serve-'));
      const cleanup = async (): Promise<void> => { rmSync(dir, { recursive: true, force: true }); };
      try {
        const vb = await startVirtualBoard({ artifact, link: path.join(dir, 'board'), log: (l) => log(`virtual board: ${l}`) });
        log(`virtual board (generated firmware on a pty) on ${vb.ptyPath}`);
        return await openBoardEngine({
          path: vb.path, kind: 'virtual', name: 'virtual board (generated firmware on a pty)', log,
          onClose: async () => { await vb.close(); await cleanup(); },
        }).catch(async (e: unknown) => { await vb.close(); throw e; });
      } catch (e) {
        await cleanup();
        throw e;
      }
    }
    case 'qemu': {
      const q = await startQemuBoard({ artifact, log });
      log(`emulated Cortex-M4 (QEMU mps2-an386) on ${q.port}`);
      // QEMU feeds the UART a byte per main-loop turn: one request at a time (see src/cli/engines.ts runQemu).
      return openBoardEngine({
        path: q.port, kind: 'qemu', name: 'QEMU mps2-an386 (emulated Cortex-M4)', window: 1, log,
        board: { requestTimeoutMs: 3000 },
        onClose: () => q.close(),
      }).catch(async (e: unknown) => { await q.close(); throw e; });
    }
  }
}
