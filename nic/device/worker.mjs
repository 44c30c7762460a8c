// Entry of a core worker thread: piscina loads this plain-JS file, which registers the TypeScript
// loader (tsx) in the thread and hands over to worker.ts.
import { register } from 'tsx/esm/api';

register();
const { default: serve } = await import('./worker.ts');
export default serve;
