/**
 * The HTTP + WebSocket server of `edge-digits serve`: serves the page (no CDN), accepts one WebSocket per tab at
 * /ws, gives each tab a Session, shares the engine between them through one FairScheduler, and tells every tab
 * about the board (state changes at once, counters every second).
 */
import http from 'node:http';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { PreprocessOptions, RoiSpec } from '../camera/index.js';
import { DEFAULT_ROI } from '../camera/index.js';
import { loadClientAssets, type Asset } from './client-bundle.js';
import type { ServeEngine } from './engine.js';
import { FairScheduler } from './fair-scheduler.js';
import { DEFAULT_LIMITS, type BoardStatusJson, type FrameLimits, type ServerMessage } from './protocol.js';
import { Session } from './session.js';

export interface ServeOptions {
  readonly engine: ServeEngine;
  /** The int8 artifact the engine runs: its path and output quantization (for confidences). */
  readonly model: { readonly path: string; readonly sourceSha256: string | null; readonly outputScale: number; readonly outputZeroPoint: number };
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  readonly preprocessOptions?: Partial<PreprocessOptions>;
  readonly stableWindow?: number;
  readonly minConfidence?: number;
  readonly limits?: Partial<FrameLimits>;
  /** Frames of one tab in progress at once. Default 2. */
  readonly tabWindow?: number;
  /** Frames decoded and preprocessed at once, all tabs (shared round robin). Default: the cores, 2 to 4. */
  readonly preprocessConcurrency?: number;
  /** Tabs at once; more are turned away (close 1013, try again later). Default 16. */
  readonly maxTabs?: number;
  /** How often every tab gets the board's counters. Default 1000 ms. */
  readonly statusEveryMs?: number;
  readonly log?: (line: string) => void;
}

export interface ServeServer {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Tabs connected now. */
  sessions(): number;
  boardStatus(): BoardStatusJson;
  /** Closes every tab (1001) and the listener; the engine stays the caller's to close. */
  close(): Promise<void>;
}

/** Cannot listen (address in use, not available); the message says what to do. */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export async function startServer(o: ServeOptions): Promise<ServeServer> {
  const assets = await loadClientAssets();
  const limits: FrameLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const host = o.host ?? '127.0.0.1';
  const log = o.log ?? (() => {});
  const scheduler = new FairScheduler(o.engine.window);
  // sharp runs on libuv's pool (4 threads); more preprocessing at once only queues there, out of turn.
  const cpu = new FairScheduler(o.preprocessConcurrency ?? Math.max(2, Math.min(4, os.availableParallelism())));
  const tabWindow = o.tabWindow ?? 2;
  const maxTabs = o.maxTabs ?? 16;
  const stableWindow = o.stableWindow ?? 5;
  const minConfidence = o.minConfidence ?? 0.6;
  const roi: RoiSpec = o.preprocessOptions?.roi ?? DEFAULT_ROI;
  const sockets = new Map<WebSocket, Session>();
  let nextSession = 1;

  const boardStatus = (): BoardStatusJson => ({ ...o.engine.status(), sessions: sockets.size });
  const sendTo = (ws: WebSocket, m: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const broadcastBoard = (): void => {
    const m: ServerMessage = { v: 1, type: 'board', board: boardStatus() };
    for (const ws of sockets.keys()) sendTo(ws, m);
  };
  const unsubscribe = o.engine.onStatus(() => {
    const s = o.engine.status();
    log(`board ${s.state}${s.last_error && s.state !== 'connected' ? `: ${s.last_error}` : ''}`);
    broadcastBoard();
  });
  const ticker = setInterval(broadcastBoard, o.statusEveryMs ?? 1000);
  ticker.unref();

  const server = http.createServer((req, res) => serveAsset(assets, req, res, boardStatus));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * limits.maxMessageBytes, perMessageDeflate: false });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    };
    if (url.pathname !== '/ws') return refuse(404, 'the WebSocket endpoint is /ws');
    // Another web page open in the same browser must not drive the board: only our own page may connect.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return refuse(403, `origin ${origin} is not this server`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    if (sockets.size >= maxTabs) {
      ws.close(1013, `at most ${maxTabs} tabs at once`);
      return;
    }
    const id = `t${nextSession++}-${randomBytes(3).toString('hex')}`;
    const session = new Session({
      id, engine: o.engine, scheduler, cpu, limits, preprocessOptions: o.preprocessOptions ?? {}, stableWindow, minConfidence,
      output: { scale: o.model.outputScale, zeroPoint: o.model.outputZeroPoint }, window: tabWindow,
      send: (m) => sendTo(ws, m), log,
    });
    sockets.set(ws, session);
    log(`tab ${id} connected (${sockets.size} open)`);
    sendTo(ws, {
      v: 1, type: 'welcome', session: id, protocol: 1,
      model: { path: o.model.path, source_sha256: o.model.sourceSha256 },
      board: boardStatus(),
      roi: 'whole' in roi ? { whole: true } : 'fraction' in roi ? { fraction: roi.fraction } : { x: roi.x, y: roi.y, width: roi.width, height: roi.height },
      stable: { window: stableWindow, min_confidence: minConfidence },
      limits: { max_message_bytes: limits.maxMessageBytes, max_width: limits.maxWidth, max_height: limits.maxHeight, max_pixels: limits.maxPixels, max_in_flight: tabWindow },
    });
    broadcastBoard();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = toBytes(data);
      if (isBinary) session.handleBinary(bytes);
      else session.handleText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    });
    // A message over the hard cap (4× the limit) or a broken frame: ws closes the socket; the tab is gone.
    ws.on('error', (e) => log(`tab ${id}: ${e.message}`));
    ws.on('close', (code) => {
      session.close();
      sockets.delete(ws);
      log(`tab ${id} closed (${code}; ${sockets.size} open)`);
      broadcastBoard();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const where = `${host}:${o.port ?? 8080}`;
      reject(new ListenError(e.code === 'EADDRINUSE'
        ? `cannot listen on ${where}: the address is in use (another serve?); pass --listen ${host}:0 for any free port`
        : `cannot listen on ${where}: ${e.message}`));
    };
    server.once('error', onError);
    server.listen(o.port ?? 8080, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed = false;

  return {
    url: `http://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    sessions: () => sockets.size,
    boardStatus,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      unsubscribe();
      for (const [ws, session] of sockets) {
        session.close();
        ws.close(1001, 'server shutting down');
      }
      // Give the close frames a moment, then cut whatever is left.
      await new Promise((r) => setTimeout(r, 50));
      for (const ws of sockets.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  try {
    return new URL(origin).host === hostHeader;
  } catch {
    return false;
  }
}

function serveAsset(assets: ReadonlyMap<string, Asset>, req: http.IncomingMessage, res: http.ServerResponse, status: () => BoardStatusJson): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
    return;
  }
  if (url.pathname === '/api/status') {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json' }).end(JSON.stringify(status()) + '\n');
    return;
  }
  const asset = assets.get(url.pathname === '/index.html' ? '/' : url.pathname);
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`${url.pathname}: not found\n`);
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}
