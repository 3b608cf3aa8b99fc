import type { FrameOutcome, RecognizeSummary } from './recognize.js';

export interface ViewSink { write(s: string): void; isTTY?: boolean }

/**
 * The terminal view of `run`. On a TTY it redraws one block in place (digit, confidence, the 28×28 input as
 * Unicode art, fps and latency); otherwise it prints one plain line per frame so logs and pipes stay readable.
 */
export class LiveView {
  private drawnLines = 0;
  private lastDraw = 0;
  private readonly started = performance.now();
  private frames = 0;

  constructor(private readonly out: ViewSink, private readonly render: (pixels: Uint8Array) => string, private readonly engine: string) {}

  update(o: FrameOutcome): void {
    this.frames++;
    const fps = this.frames / Math.max(1e-3, (performance.now() - this.started) / 1000);
    const label = o.frame.label !== undefined ? ` label ${o.frame.label}${o.digit === o.frame.label ? ' ✓' : ' ✗'}` : '';
    const answer = o.pre.kind === 'none' ? `no digit (${o.pre.code})` : `digit ${o.digit} (${(o.confidence * 100).toFixed(0)}%)`;
    const stable = o.stable.digit === null ? '–' : String(o.stable.digit);
    const device = o.deviceMicros !== undefined ? ` · on-board ${(o.deviceMicros / 1000).toFixed(2)} ms` : '';
    const status = `#${o.frame.index} ${answer}${label} · steady ${stable} · ${fps.toFixed(1)} fps · ${o.latencyMs.toFixed(1)} ms${device} · ${this.engine}`;
    if (!this.out.isTTY) {
      this.out.write(status + '\n');
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const art = o.pre.kind === 'digit' ? this.render(o.pre.pixels).split('\n') : new Array<string>(14).fill('');
    const block = [`  ${o.stable.digit === null ? ' ' : o.stable.digit}   ${status}`, ...art.map((l) => `  │${l.padEnd(28)}│`)];
    let s = this.drawnLines ? `\x1b[${this.drawnLines}A` : '';
    s += block.map((l) => `\r${l}\x1b[K`).join('\n') + '\n';
    this.drawnLines = block.length;
    this.out.write(s);
  }

  summary(s: RecognizeSummary): void {
    const parts = [
      `${s.frames} frames in ${s.seconds.toFixed(1)} s (${s.fps.toFixed(1)} fps)`,
      `${s.digits} classified`,
      ...(Object.keys(s.noDigit).length ? [`no digit: ${Object.entries(s.noDigit).map(([k, v]) => `${k} ${v}`).join(', ')}`] : []),
      ...(s.accuracy !== null ? [`accuracy ${(s.accuracy * 100).toFixed(2)}% on ${s.labelled} labelled frames (no-digit frames count as wrong)`] : []),
      `latency p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms`,
      ...(s.deviceMicros ? [`on-board inference p50 ${(s.deviceMicros.p50 / 1000).toFixed(2)} ms`] : []),
    ];
    this.out.write(`summary: ${parts.join(' · ')}\n`);
  }
}
