import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

import type { BackendChoice } from './backend-choices.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choices.js';
export interface BackendSelection { readonly name: 'tensorflow' | 'wasm' | 'cpu'; readonly reason: string }

const require = createRequire(import.meta.url);

async function tryNode(): Promise<string | null> {
  try {
    // Optional dependency: its install downloads libtensorflow, which fails offline.
    await import('@tensorflow/tfjs-node' as string);
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function useWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = require.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, 'dist/');
  wasm.setWasmPaths(dir);
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Picks the fastest available tfjs backend, or the one asked for, and says why. */
export async function selectBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (choice === 'node' || choice === 'auto') {
    const failure = await tryNode();
    if (failure === null) {
      await tf.setBackend('tensorflow');
      return { name: 'tensorflow', reason: '@tensorflow/tfjs-node is installed (native libtensorflow)' };
    }
    if (choice === 'node') throw new Error(`--backend node: @tensorflow/tfjs-node cannot load: ${failure}`);
    // The usual failure is "Cannot find package … imported from <long path>": say that plainly, not a cut path.
    const cause = /Cannot find (package|module)/.test(failure) ? 'not installed' : failure.slice(0, 160);
    const why = `@tensorflow/tfjs-node unavailable (${cause})`;
    try {
      await useWasm();
      return { name: 'wasm', reason: `${why}; using @tensorflow/tfjs-backend-wasm with its training kernels (im2col filter gradient, conv input gradient, JS max-pool gradient, JS batch-norm forward and backward)` };
    } catch (e) {
      await tf.setBackend('cpu');
      return { name: 'cpu', reason: `${why}; wasm failed (${(e as Error).message}); using the slow pure-JS cpu backend` };
    }
  }
  if (choice === 'wasm') {
    await useWasm();
    return { name: 'wasm', reason: '--backend wasm' };
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', reason: '--backend cpu' };
}
