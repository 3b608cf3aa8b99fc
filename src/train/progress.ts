/** An epoch progress bar on a TTY, plain periodic lines otherwise (CI logs, pipes). */
export interface ProgressSink { write(s: string): void; isTTY?: boolean }

export interface ProgressState { done: number; total: number; loss: number; accuracy: number; startedAt: number }

export class EpochProgress {
  private lastPlainDecile = -1;
  private lastDraw = 0;
  constructor(private readonly label: string, private readonly out: ProgressSink, private readonly now: () => number = Date.now) {}

  update(s: ProgressState): void {
    const elapsed = (this.now() - s.startedAt) / 1000;
    const rate = elapsed > 0 ? s.done / elapsed : 0;
    const eta = rate > 0 ? (s.total - s.done) / rate : 0;
    const stats = `loss ${s.loss.toFixed(4)} acc ${(s.accuracy * 100).toFixed(2)}% ${rate.toFixed(0)} img/s ETA ${eta.toFixed(0)}s`;
    if (this.out.isTTY) {
      const t = this.now();
      if (t - this.lastDraw < 100 && s.done < s.total) return;
      this.lastDraw = t;
      const width = 24;
      const filled = Math.round((s.done / s.total) * width);
      this.out.write(`\r${this.label} [${'█'.repeat(filled)}${'·'.repeat(width - filled)}] ${s.done}/${s.total} ${stats}\x1b[K`);
    } else {
      const decile = Math.floor((s.done / s.total) * 10);
      if (decile > this.lastPlainDecile && decile < 10) {
        this.lastPlainDecile = decile;
        this.out.write(`${this.label} ${s.done}/${s.total} ${stats}\n`);
      }
    }
  }

  finish(summary: string): void {
    this.out.write(this.out.isTTY ? `\r${this.label} ${summary}\x1b[K\n` : `${this.label} ${summary}\n`);
  }
}
