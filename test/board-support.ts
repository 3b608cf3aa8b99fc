/** Shared setup of the board-link tests (test/board-*.test.ts): artifact, tool checks, reference logits. */
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { toolsPresent } from './tools.js';

export { CI } from './tools.js';

/** The default model; a weaker one with the same architecture while the default is not trained yet. */
export const ARTIFACT = [
  process.env.EDGE_DIGITS_BOARD_ARTIFACT,
  path.join('models', 'default', 'model.int8.json'),
  '/tmp/quick/model.int8.json',
].find((p): p is string => typeof p === 'string' && existsSync(p)) ?? path.join('models', 'default', 'model.int8.json');

/** True when the tests can run: the tools and the artifact are there, or CI=true (test/tools.ts has the rule). */
export function canRun(suite: string, tools: readonly string[]): boolean {
  return toolsPresent(suite, tools, existsSync(ARTIFACT) ? [] : [ARTIFACT]);
}

/** `count` MNIST test images and the simulator's logits for them: what every engine must reproduce. */
export function reference(count: number): { images: Uint8Array; logits: Int8Array; digits: Uint8Array; labels: Uint8Array } {
  const set = loadDigitSet('mnist:test', count);
  const { logits, digits } = new Simulator(loadArtifact(ARTIFACT)).classifyMany(set.images, count);
  return { images: set.images, logits, digits, labels: set.labels };
}

export function imageAt(images: Uint8Array, i: number): Uint8Array {
  return images.subarray(i * 784, (i + 1) * 784);
}

export function logitsAt(logits: Int8Array, i: number): number[] {
  return Array.from(logits.subarray(i * 10, (i + 1) * 10));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function waitUntil(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const require = createRequire(import.meta.url);

/** johnny-five's Led, for driving pin 13 the way users do. */
export interface J5Led {
  on(): void;
  off(): void;
}
export const { Led } = require('johnny-five') as { Led: new (o: { pin: number; board: unknown }) => J5Led };
