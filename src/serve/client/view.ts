/// <reference lib="dom" />
/**
 * Drawing the host's answers: the digit, confidence and steady answer, the 28×28 input, the ten logits as bars,
 * the no-digit reason, the board panel and this tab's fps and latency split.
 */
import type { BoardStatusJson, ResultMessage } from '../protocol.js';
import type { SentFrame } from './host-link.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

function setText(id: string, text: string): void {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function ms(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} ms`;
}

function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length / 2) - 1)];
}

export interface AnsweredFrame {
  readonly at: number;
  readonly endToEnd: number;
  readonly capture: number;
  readonly preprocess: number;
  readonly board: number;
  readonly reply: number;
  readonly inferenceUs: number | null;
  readonly classified: boolean;
}

/** This tab's recent answers, for fps and the latency split; also what `edgeDigits.stats()` reports. */
export class TabStats {
  readonly recent: AnsweredFrame[] = [];
  answered = 0;
  dropped = 0;
  errors = 0;

  add(f: AnsweredFrame): void {
    this.answered++;
    this.recent.push(f);
    const cutoff = f.at - 10_000;
    while (this.recent.length && this.recent[0].at < cutoff) this.recent.shift();
  }

  window(ms: number): AnsweredFrame[] {
    const since = performance.now() - ms;
    return this.recent.filter((f) => f.at >= since);
  }
}

export class PageView {
  private readonly input = $<HTMLCanvasElement>('input28');
  private readonly inputImage: ImageData;
  private readonly bars: { row: HTMLElement[]; fill: HTMLElement; value: HTMLElement }[] = [];

  constructor() {
    const ctx = this.input.getContext('2d');
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.inputImage = ctx.createImageData(28, 28);
    const bars = $('bars');
    for (let k = 0; k < 10; k++) {
      const label = document.createElement('span');
      label.textContent = String(k);
      const track = document.createElement('div');
      track.className = 'bar-track';
      const fill = document.createElement('div');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = '–';
      for (const el of [label, track, value]) el.dataset.class = String(k);
      bars.append(label, track, value);
      this.bars.push({ row: [label, track, value], fill, value });
    }
    this.drawInput(null);
  }

  showLink(state: string, detail: string): void {
    const el = $('link');
    el.className = `pill state-${state}`;
    el.textContent = detail;
  }

  showModel(path: string): void {
    setText('model', `model ${path}`);
  }

  showResult(r: ResultMessage): void {
    const answer = $('answer');
    setText('digit', r.digit === null ? '–' : String(r.digit));
    setText('confidence', r.confidence === null ? '\u00a0' : `${(r.confidence * 100).toFixed(1)} % confident`);
    setText('steady', r.steady.digit === null ? '–' : String(r.steady.digit));
    setText('steady-votes', `${r.steady.votes} of the last ${r.steady.window} frames`);
    const noDigit = $('no-digit');
    noDigit.hidden = r.no_digit === null;
    if (r.no_digit) setText('no-digit', `no digit (${r.no_digit.code}): ${r.no_digit.reason}`);
    const boardError = $('board-error');
    boardError.hidden = r.board_error === null;
    if (r.board_error) setText('board-error', `not classified: ${r.board_error}`);
    this.drawInput(r.input);
    let top = -1;
    if (r.probabilities) top = r.probabilities.indexOf(Math.max(...r.probabilities));
    this.bars.forEach((b, k) => {
      const p = r.probabilities?.[k] ?? 0;
      const q = r.logits?.[k];
      b.fill.style.width = `${(p * 100).toFixed(1)}%`;
      b.value.textContent = q === undefined ? '–' : `${q} · ${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
      for (const el of b.row) el.classList.toggle('bar-top', k === top);
    });
    // Set last: a reader that sees this frame id sees everything above drawn for it.
    answer.dataset.source = r.source;
    answer.dataset.frame = String(r.id);
  }

  private drawInput(base64: string | null): void {
    const d = this.inputImage.data;
    const bytes = base64 ? Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)) : null;
    for (let i = 0; i < 784; i++) {
      const v = bytes ? bytes[i] : 0;
      d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = v;
      d[4 * i + 3] = 255;
    }
    this.input.getContext('2d')?.putImageData(this.inputImage, 0, 0);
  }

  showBoard(b: BoardStatusJson): void {
    const state = $('board-state');
    state.className = `pill state-${b.state}`;
    setText('board-state', b.state === 'lost' ? 'lost — waiting for it to come back' : b.state);
    setText('board-name', b.name);
    setText('board-path', b.path ?? '(in the host process)');
    setText('board-firmware', b.firmware ? `${b.firmware}${b.protocol ? `, protocol ${b.protocol}` : ''}` : b.kind === 'sim' ? 'none (simulator)' : '–');
    setText('board-connects', String(b.connects));
    setText('board-reconnects', String(Math.max(0, b.connects - 1)));
    setText('board-retries', String(b.retries));
    setText('board-timeouts', String(b.timeouts));
    setText('board-corrupt', String(b.corrupt_frames));
    setText('board-tabs', String(b.sessions));
    setText('inference-label', b.inference_clock === 'board' ? 'on-board inference' : 'inference (host)');
    const err = $('last-error');
    err.hidden = b.state === 'connected' || !b.last_error;
    if (b.last_error) setText('last-error', b.last_error);
  }

  showStats(s: TabStats): void {
    const last2s = s.window(2000);
    const span = last2s.length > 1 ? (last2s[last2s.length - 1].at - last2s[0].at) / 1000 : 0;
    setText('fps', span > 0 ? `${((last2s.length - 1) / span).toFixed(1)} frames/s` : '–');
    const inf = median(last2s.map((f) => f.inferenceUs).filter((v): v is number => v !== null));
    setText('inference', inf === null ? '–' : `${(inf / 1000).toFixed(2)} ms`);
    const classified = last2s.filter((f) => f.classified);
    const parts = {
      capture: median(last2s.map((f) => f.capture)),
      preprocess: median(last2s.map((f) => f.preprocess)),
      board: median(classified.map((f) => f.board)),
      reply: median(last2s.map((f) => f.reply)),
    };
    const total = median(last2s.map((f) => f.endToEnd));
    setText('lat-capture', ms(parts.capture));
    setText('lat-preprocess', ms(parts.preprocess));
    setText('lat-board', ms(parts.board));
    setText('lat-reply', ms(parts.reply));
    setText('lat-total', ms(total));
    const bar = $('lat-bar');
    const sum = Object.values(parts).reduce<number>((a, v) => a + (v ?? 0), 0);
    bar.replaceChildren(...Object.entries(parts).map(([k, v]) => {
      const span = document.createElement('span');
      span.className = k;
      span.style.width = sum > 0 ? `${(((v ?? 0) / sum) * 100).toFixed(1)}%` : '0';
      return span;
    }));
  }
}

/** One answered frame's latency split: capture (page) → preprocess (host) → board → reply (both transfers + page). */
export function splitLatency(r: ResultMessage, sent: SentFrame, shownAt: number): AnsweredFrame {
  const t = r.timing;
  const endToEnd = shownAt - sent.capturedAt;
  const board = (t.queue_ms ?? 0) + (t.board_ms ?? 0);
  const preprocess = t.wait_ms + t.decode_ms + t.preprocess_ms;
  return {
    at: shownAt, endToEnd, capture: sent.captureMs, preprocess, board,
    reply: Math.max(0, endToEnd - sent.captureMs - t.server_ms),
    inferenceUs: t.inference_us, classified: r.digit !== null,
  };
}
