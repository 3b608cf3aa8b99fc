// The serving loop of a preprocessing worker thread: runs `preprocess` (src/camera/preprocess.ts, the same function
// the main thread runs in-thread) on every frame the pool sends and answers with the result or the error's message.
// The thread's entry is preprocess-worker-bootstrap.mjs (registers tsx) → preprocess-worker-main.ts.
import type { MessagePort } from 'node:worker_threads';
import type { Frame } from './frame.js';
import { preprocess, type PreprocessOptions, type PreprocessResult } from './preprocess.js';
import type { FromPreprocessWorker, ToPreprocessWorker } from './preprocess-protocol.js';

export type PreprocessFunction = (frame: Frame, options: Partial<PreprocessOptions>) => Promise<PreprocessResult>;

/** A result's pixels in a buffer of their own, so posting it copies 784 bytes, not a larger buffer it is a view of. */
function own(result: PreprocessResult): PreprocessResult {
  if (result.kind !== 'digit') return result;
  const p = result.pixels;
  if (p.byteOffset === 0 && p.byteLength === p.buffer.byteLength && !(p.buffer instanceof SharedArrayBuffer)) return result;
  return { ...result, pixels: new Uint8Array(p) };
}

/** Serves the pool on `port` with `run` (the real preprocess unless a test entry passes another), then says ready. */
export function servePreprocessWorker(port: MessagePort, run: PreprocessFunction = preprocess): void {
  port.on('message', (m: ToPreprocessWorker) => {
    run(m.frame, m.options).then(
      (result) => {
        const r = own(result);
        const reply: FromPreprocessWorker = { type: 'result', id: m.id, result: r };
        port.postMessage(reply, r.kind === 'digit' ? [r.pixels.buffer as ArrayBuffer] : []);
      },
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        const reply: FromPreprocessWorker = { type: 'error', id: m.id, name: err.name, message: err.message };
        port.postMessage(reply);
      },
    );
  });
  const ready: FromPreprocessWorker = { type: 'ready' };
  port.postMessage(ready);
}
