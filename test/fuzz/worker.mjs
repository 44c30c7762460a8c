// Entry of a fuzz worker thread: worker threads do not inherit tsx from the main thread, so register
// the TypeScript loader here (as nic/nicsim.mjs does) and load the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
