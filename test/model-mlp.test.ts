import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFromArtifactFile } from '../firmware-gen/index.js';
import { loadArtifact } from '../src/quantize/index.js';

/*
 * The second shipped model, models/mlp (the textbook 784 → 16 sigmoid → 10, `npm run train:mlp`): its artifact
 * loads, keeps int8 within 0.5 pp of float on the 10k test images, and its committed firmware is exactly what the
 * generator writes today. The C engine on it: test/logistic-c.test.ts.
 */

const DIR = path.join('models', 'mlp');
const ARTIFACT = path.join(DIR, 'model.int8.json');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? listFiles(path.join(dir, n)).map((f) => `${n}/${f}`) : [n]));
}

describe('models/mlp', () => {
  it('is the mlp preset with a LOGISTIC layer, ~12.7k parameters, int8 within 0.5 pp of float on 10k test images', () => {
    const model = loadArtifact(ARTIFACT);
    expect(model.layers.map((l) => l.op)).toEqual(['dense', 'logistic', 'dense']);
    expect(model.params).toBe(12730);
    const m = model.metrics;
    expect(m?.images).toBe(10000);
    expect(m?.data).toBe('mnist:test');
    expect(Math.abs((m?.floatAccuracy ?? 0) - (m?.int8Accuracy ?? 1))).toBeLessThanOrEqual(0.005);
    const report = JSON.parse(readFileSync(path.join(DIR, 'report.json'), 'utf8')) as { preset: string; int8: { testAccuracy: number } };
    expect(report.preset).toBe('mlp');
    expect(report.int8.testAccuracy).toBe(m?.int8Accuracy);
  });

  it.each([['host'], ['arduino']] as const)('committed firmware/%s equals a fresh generation, file for file', (target) => {
    const fresh = generateFromArtifactFile(ARTIFACT, target);
    const dir = path.join(DIR, 'firmware', target);
    expect(existsSync(dir), `${dir} missing: npm run train:mlp writes it`).toBe(true);
    expect(listFiles(dir).sort()).toEqual(fresh.files.map((f) => f.path).sort());
    for (const f of fresh.files) {
      expect(readFileSync(path.join(dir, ...f.path.split('/')), 'utf8') === f.content, `${dir}/${f.path} differs from a fresh generation`).toBe(true);
    }
  }, 60_000);
});
