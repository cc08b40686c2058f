// A verifier worker thread (verifyFile.ts). Plain JavaScript so it loads the same way under tsx,
// vitest and the CLI: it is started without the parent's loader flags and registers tsx itself,
// as bin/tqca.mjs does, before importing the TypeScript it runs.
import { register } from 'tsx/esm/api';

register();
await import('./entryBatchWorker.ts');
