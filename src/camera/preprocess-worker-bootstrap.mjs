// Entry of a preprocessing worker thread: a worker thread does not inherit tsx's loader from the parent, so it
// registers it itself (as bin/edge-digits.js does) and then loads the TypeScript worker. The built CLI reaches this
// file too: dist/ rewrites import.meta.url to the source file's, so the pool's URL points here, in src/.
import { register } from 'tsx/esm/api';

register();
await import('./preprocess-worker-main.ts');
