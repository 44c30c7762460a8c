// Worker entry for the map concurrency test: registers the TypeScript loader, then runs the
// TypeScript module named in workerData.entry.
import { register } from 'tsx/esm/api';

register();
const { workerData } = await import('node:worker_threads');
await import(workerData.entry);
