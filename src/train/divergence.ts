/**
 * Stops a training run that has gone wrong instead of saving a broken model and exiting 0: a loss that is NaN or
 * infinite (immediately), or a batch loss above the first batch's loss for `patience` batches in a row (a
 * learning rate too high sends the loss up and keeps it there; a healthy run drops below its start within a few
 * batches and stays there, noise included).
 */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

export const DEFAULT_DIVERGENCE_PATIENCE = 20;

export class DivergenceGuard {
  private start: number | null = null;
  private above = 0;
  private step = 0;

  constructor(private readonly patience = DEFAULT_DIVERGENCE_PATIENCE, private readonly hint = '') {}

  /** Call once per batch with its mean loss; throws TrainingDivergedError when the run has diverged. */
  observe(loss: number): void {
    this.step++;
    const advice = this.hint ? `; ${this.hint}` : '';
    if (!Number.isFinite(loss)) {
      throw new TrainingDivergedError(`training diverged: the loss is ${loss} at batch ${this.step}${advice}`);
    }
    if (this.start === null) {
      this.start = loss;
      return;
    }
    this.above = loss > this.start ? this.above + 1 : 0;
    if (this.above >= this.patience) {
      throw new TrainingDivergedError(`training diverged: the loss stayed above its starting ${this.start.toFixed(4)} for ${this.patience} batches (now ${loss.toPrecision(4)} at batch ${this.step})${advice}`);
    }
  }
}
