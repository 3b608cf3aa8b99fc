/** Cosine decay from lr to lr/50 over the run, after a one-epoch-fraction linear warm-up. */
export function learningRateAt(base: number, step: number, totalSteps: number): number {
  const warm = Math.min(200, Math.floor(totalSteps / 20));
  if (step < warm) return (base * (step + 1)) / warm;
  const t = (step - warm) / Math.max(1, totalSteps - warm);
  const floor = base / 50;
  return floor + ((base - floor) * (1 + Math.cos(Math.PI * t))) / 2;
}
