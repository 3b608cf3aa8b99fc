// Test entry of a preprocessing worker (test/preprocess-pool.test.ts): tsx first, as the real bootstrap does.
import { register } from 'tsx/esm/api';

register();
await import('./preprocess-pool-worker.ts');
