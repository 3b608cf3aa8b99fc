import type { Frame } from './frame.js';
import type { PreprocessOptions, PreprocessResult } from './preprocess.js';

/**
 * Messages between the preprocessing pool (src/camera/preprocess-pool.ts) and its worker threads
 * (preprocess-worker.ts), one type per kind. A frame travels as its own fields; its gray and rgb buffers are
 * copies the pool made for the trip and transfers (the caller's frame is never detached).
 */
export type ToPreprocessWorker =
  | { readonly type: 'preprocess'; readonly id: number; readonly frame: Frame; readonly options: Partial<PreprocessOptions> };

export type FromPreprocessWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: PreprocessResult }
  | { readonly type: 'error'; readonly id: number; readonly name: string; readonly message: string };
