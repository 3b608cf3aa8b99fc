// Entry of a preprocessing worker thread (after preprocess-worker-bootstrap.mjs registered tsx): serve the pool.
import { parentPort } from 'node:worker_threads';
import { servePreprocessWorker } from './preprocess-worker.js';

if (!parentPort) throw new Error('preprocess-worker-main.ts runs as a worker thread of openPreprocessPool');
servePreprocessWorker(parentPort);
