import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BENCH, MODEL_TABLE_BEGIN, MODEL_TABLE_END, parseModelTableBench, renderModelTable, spliceModelTable, type ModelTableBench,
} from '../scripts/model-table.js';

/*
 * The README's cnn-vs-mlp table is generated: scripts/model-table.ts renders it from the committed output of
 * bench/model-table.ts (docs/bench/model-table.json). The README must hold exactly that rendering, so a number typed
 * into the README, or a bench re-run without regenerating the table, fails here.
 */

const bench = parseModelTableBench(readFileSync(DEFAULT_BENCH, 'utf8'), DEFAULT_BENCH);

describe('README model table', () => {
  it('equals the rendering of the committed bench output (npm run readme:models regenerates it)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme.split(MODEL_TABLE_BEGIN).length, 'exactly one begin marker').toBe(2);
    expect(spliceModelTable(readme, renderModelTable(bench))).toBe(readme);
  });

  it('the committed bench compares the shipped cnn and mlp and its figures match their artifacts', () => {
    expect(bench.models.map((m) => m.preset)).toEqual(['cnn', 'mlp']);
    for (const m of bench.models) {
      const artifact = JSON.parse(readFileSync(`${m.model}/model.int8.json`, 'utf8')) as { params: number; macs: number; metrics: { int8Accuracy: number; floatAccuracy: number } };
      expect([m.params, m.macs]).toEqual([artifact.params, artifact.macs]);
      // eval's figures on the 10k test images are the ones quantize recorded for the same artifact.
      expect(m.int8_accuracy).toBe(artifact.metrics.int8Accuracy);
      expect(Math.abs(m.float_accuracy - artifact.metrics.floatAccuracy)).toBeLessThanOrEqual(1e-4);
    }
  });

  it('renders every figure from the bench: changing one changes the table', () => {
    const base = renderModelTable(bench);
    const changed: ModelTableBench = { ...bench, models: bench.models.map((m, i) => (i === 1 ? { ...m, flash_bytes: m.flash_bytes + 1000, camera_like_accuracy: 0.5 } : m)) };
    const other = renderModelTable(changed);
    expect(other).not.toBe(base);
    expect(other).toContain('50.00 %');
    expect(base.startsWith(MODEL_TABLE_BEGIN) && base.endsWith(MODEL_TABLE_END)).toBe(true);
  });

  it('names the command with the options the bench ran with (its defaults differ)', () => {
    const other: ModelTableBench = { ...bench, settings: { ...bench.settings, m4_images: 37 } };
    expect(renderModelTable(other)).toContain(`npm run bench:models -- --m4-images 37 --frames ${bench.settings.camera_frames} --clean ${bench.settings.camera_clean}`);
    expect(renderModelTable(other)).toContain('over 10 images'); // the per-model count comes from the runs, not the settings
  });

  it('names the camera seed the runs rendered, so a looked-at seed is not passed off as unseen', () => {
    const reseeded: ModelTableBench = { ...bench, models: bench.models.map((m) => ({ ...m, camera_seed: 4242 })) };
    expect(renderModelTable(reseeded)).toContain('held-out variant at seed 4242');
    expect(renderModelTable(bench)).toContain(`held-out variant at seed ${bench.models[0].camera_seed}`);
  });

  it('rejects a bench file with a missing figure, naming the field', () => {
    const broken = JSON.parse(readFileSync(DEFAULT_BENCH, 'utf8')) as { models: Record<string, unknown>[] };
    delete broken.models[1].ram_bytes;
    expect(() => parseModelTableBench(JSON.stringify(broken), 'x.json')).toThrow('x.json: models[1].ram_bytes: expected a number, got undefined');
    expect(() => spliceModelTable('no markers here', 'x', 'R.md')).toThrow(/R\.md: no model-table markers/);
    const noSettings = JSON.parse(readFileSync(DEFAULT_BENCH, 'utf8')) as { settings?: unknown };
    delete noSettings.settings;
    expect(() => parseModelTableBench(JSON.stringify(noSettings), 'y.json')).toThrow('y.json: settings: expected an object');
  });
});
