// A preprocessing worker for tests: the real serving loop and the real preprocess, driven by the frame's source:
// 'delay:<ms>:…' waits that long first (later frames can finish first), 'exit:<code>' ends the thread with that code.
import { parentPort } from 'node:worker_threads';
import { preprocess } from '../src/camera/preprocess.js';
import { servePreprocessWorker } from '../src/camera/preprocess-worker.js';

if (!parentPort) throw new Error('a worker thread entry');
servePreprocessWorker(parentPort, async (frame, options) => {
  const exit = /^exit:(\d+)$/.exec(frame.source);
  if (exit) process.exit(Number(exit[1]));
  const delay = /^delay:(\d+):/.exec(frame.source);
  if (delay) await new Promise((r) => setTimeout(r, Number(delay[1])));
  return preprocess(frame, options);
});
