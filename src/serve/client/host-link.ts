/// <reference lib="dom" />
/**
 * The page's WebSocket to the host: sends frames (binary, protocol v1) and control messages, hands every reply
 * to `onMessage`, keeps at most `max_in_flight` frames outstanding, and reconnects with backoff when the host
 * goes away (a restarted `edge-digits serve` is picked up by itself).
 */
import { encodeFrameMessage, type FrameSourceName, type ServerMessage, type WelcomeMessage } from '../protocol.js';
import type { GrayImage } from './pixels.js';

export interface SentFrame {
  readonly id: number;
  readonly source: FrameSourceName;
  /** performance.now() of the camera capture (or of the grab, for the pad and files). */
  readonly capturedAt: number;
  readonly sentAt: number;
  readonly captureMs: number;
}

export type LinkState = 'connecting' | 'connected' | 'disconnected';

/** Outstanding frames older than this are forgotten, so a lost reply never stalls the page. */
const FORGET_AFTER_MS = 5000;

export class HostLink {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly outstanding = new Map<number, SentFrame>();
  private retryMs = 250;
  welcome: WelcomeMessage | null = null;

  constructor(
    private readonly url: string,
    private readonly onMessage: (m: ServerMessage, sent: SentFrame | null) => void,
    private readonly onState: (s: LinkState, detail: string) => void,
    private readonly onSlotFree: () => void,
  ) {}

  start(): void {
    this.onState('connecting', `connecting to ${this.url}`);
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => { this.retryMs = 250; };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let m: ServerMessage;
      try {
        m = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      if (m.type === 'welcome') {
        this.welcome = m;
        this.onState('connected', `connected (tab ${m.session})`);
      }
      let sent: SentFrame | null = null;
      if ((m.type === 'result' || m.type === 'dropped' || m.type === 'error') && m.id !== null) {
        sent = this.outstanding.get(m.id) ?? null;
        this.outstanding.delete(m.id);
      }
      this.onMessage(m, sent);
      if (sent) this.onSlotFree();
    };
    ws.onclose = (ev) => {
      this.ws = null;
      this.welcome = null;
      this.outstanding.clear();
      this.onState('disconnected', `host connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}); retrying in ${(this.retryMs / 1000).toFixed(1)} s`);
      setTimeout(() => this.start(), this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
  }

  /** True when another frame may go now. */
  canSend(): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.welcome) return false;
    const now = performance.now();
    for (const [id, f] of this.outstanding) if (now - f.sentAt > FORGET_AFTER_MS) this.outstanding.delete(id);
    return this.outstanding.size < this.welcome.limits.max_in_flight;
  }

  sendFrame(image: GrayImage, source: FrameSourceName, capturedAt: number): SentFrame | null {
    if (!this.canSend() || !this.ws) return null;
    const id = this.nextId++;
    const sentAt = performance.now();
    const captureMs = Math.max(0, sentAt - capturedAt);
    this.ws.send(encodeFrameMessage({ encoding: 'gray8', id, width: image.width, height: image.height, source, captureMs }, image.gray));
    const f: SentFrame = { id, source, capturedAt, sentAt, captureMs };
    this.outstanding.set(id, f);
    return f;
  }

  /** The next source must not inherit the steady answer of the last one. */
  reset(): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ v: 1, type: 'reset' }));
  }
}
