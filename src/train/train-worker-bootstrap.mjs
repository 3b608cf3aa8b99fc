// Entry of a data-parallel training worker: a worker thread does not inherit tsx's loader from the parent, so it
// registers it itself (as bin/edge-digits.js does) and then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
