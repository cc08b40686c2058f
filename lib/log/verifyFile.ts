/**
 * An export file verified on every core: worker threads parse, check and hash batches of about
 * 1 MB of lines (entryBatch.ts), the main thread applies them in file order to one ExportVerifier
 * (continuity, tree, checkpoints, end line). At most two batches per worker are in flight, so
 * memory stays flat in the log's size. Results and errors are those of verifyExport over
 * exportLines(path): a line the workers did not accept is fed to the verifier's line().
 *
 * Small files are batched the same way in this thread; callers that need onEntry (proof
 * generation) take verifyExport's line-by-line path.
 */
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { Result } from '../errors';
import { batchLine, HASHED, hashEntryBatch, HASHES_PER_LINE, LINKED, SUBTREE_HASH_BYTES, type EntryBatch } from './entryBatch';
import { ExportVerifier, exportLines, verifyExport, type ExportSummary, type VerifyOptions } from './verify';

const IN_FLIGHT_PER_WORKER = 2;
// Room beyond a batch for the partial line carried into the next, so batch memory can be reused.
const LINE_SLACK = 1 << 16;

/**
 * One worker per core, at most four: a worker spends ~3× what the main thread spends per entry
 * (parse and two hashes against continuity and one node hash), so beyond that the main thread is
 * the limit and more workers only cost memory.
 */
export const verifierWorkers = (): number => Math.min(4, availableParallelism());

export interface Parallelism {
  /** default: verifierWorkers() (below 2: the batches run in the calling thread) */
  readonly workers?: number;
  /** default 1 MB */
  readonly batchBytes?: number;
  /** Smaller files run the batches in the calling thread (default 8 MB: starting workers costs more than it saves). */
  readonly fromBytes?: number;
}

export async function verifyExportFile(path: string, options: VerifyOptions, parallelism: Parallelism = {}): Promise<Result<ExportSummary>> {
  const { workers = verifierWorkers(), batchBytes = 1 << 20, fromBytes = 8 << 20 } = parallelism;
  if (options.onEntry) return verifyExport(exportLines(path), options);
  // One thread still gains the batches' fast path: hashed in this thread, one at a time.
  if (workers < 2 || (await stat(path)).size < fromBytes) return verifyInBatches(path, options, IN_THIS_THREAD, batchBytes, 1);
  return verifyInBatches(path, options, poolOf(workers), batchBytes, workers * IN_FLIGHT_PER_WORKER);
}

/** A batch's bytes (moved to a worker and back) and what the worker found in them. */
interface HashedBatch {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly batch: EntryBatch;
}

interface BatchHasher {
  /** `bytes` is the hasher's until it answers (a worker takes its memory). */
  hash(bytes: Uint8Array<ArrayBuffer>): Promise<HashedBatch>;
}

const IN_THIS_THREAD: BatchHasher = { hash: async (bytes) => ({ bytes, batch: hashEntryBatch(bytes) }) };

// Started once and kept (a worker takes most of a second to load): idle workers do not keep the
// process alive.
let pool: BatchPool | undefined;
const poolOf = (workers: number): BatchPool => {
  if (pool?.size !== workers || pool.broken) {
    void pool?.close();
    pool = new BatchPool(workers);
  }
  return pool;
};

async function verifyInBatches(path: string, options: VerifyOptions, pool: BatchHasher, batchBytes: number, maxInFlight: number): Promise<Result<ExportSummary>> {
  const verifier = new ExportVerifier(options);
  const inFlight: Promise<HashedBatch>[] = [];
  // Batch memory back from the workers, read into again: a new megabyte per batch kept this
  // thread's garbage collector busy (external memory) under the 64 MB heap cap.
  const spare: ArrayBuffer[] = [];
  const applyOldest = async (): Promise<boolean> => {
    const { bytes, batch } = await inFlight.shift()!;
    const applied = apply(verifier, bytes, batch);
    spare.push(bytes.buffer);
    return applied;
  };
  const send = (bytes: Uint8Array<ArrayBuffer>) => {
    const hashed = pool.hash(bytes);
    // Awaited in turn; a worker's failure must not count as unhandled before then.
    hashed.catch(() => undefined);
    inFlight.push(hashed);
  };
  const file = await open(path);
  try {
    let rest: Uint8Array<ArrayBuffer> = new Uint8Array(0);
    for (;;) {
      // Read into memory of the batch's own, which moves to the worker and back without a copy.
      const reused = spare.pop();
      const bytes = reused && reused.byteLength >= rest.length + batchBytes ? new Uint8Array(reused) : new Uint8Array(rest.length + batchBytes + LINE_SLACK);
      bytes.set(rest);
      const { bytesRead } = await file.read(bytes, rest.length, batchBytes, null);
      if (bytesRead === 0) break;
      const filled = Buffer.from(bytes.buffer, 0, rest.length + bytesRead);
      const cut = filled.lastIndexOf(0x0a) + 1;
      rest = filled.subarray(cut);
      if (cut > 0) {
        rest = new Uint8Array(rest);
        send(bytes.subarray(0, cut));
      }
      while (inFlight.length >= maxInFlight) if (!(await applyOldest())) return verifier.finish();
    }
    if (rest.length > 0) send(rest);
    while (inFlight.length > 0) if (!(await applyOldest())) return verifier.finish();
    return verifier.finish();
  } finally {
    await file.close();
  }
}

/** One batch's lines in order, a subtree of linked lines at a time where it can; false at the first fault (the verifier holds it). */
function apply(verifier: ExportVerifier, bytes: Uint8Array, batch: EntryBatch): boolean {
  const { status, seqs, hashes, subtreeLeaves, subtreeHashes } = batch;
  const accept = (i: number, leaves: number, root: Uint8Array) =>
    verifier.acceptHashed(seqs[i], leaves, (status[i] & LINKED) !== 0, hashes.subarray(i * HASHES_PER_LINE, i * HASHES_PER_LINE + 32), lastHashOf(hashes, i + leaves - 1), root);
  for (let i = 0; i < status.length; ) {
    const leaves = subtreeLeaves[i];
    const whole = leaves > 1 ? accept(i, leaves, subtreeHashes.subarray(i * SUBTREE_HASH_BYTES, (i + 1) * SUBTREE_HASH_BYTES)) : undefined;
    if (whole) {
      if (!whole.ok) return false;
      i += leaves;
      continue;
    }
    const accepted = status[i] & HASHED ? accept(i, 1, hashes.subarray(i * HASHES_PER_LINE + 64, (i + 1) * HASHES_PER_LINE)) : undefined;
    const r = accepted ?? verifier.line(batchLine(bytes, batch, i));
    if (!r.ok) return false;
    i += 1;
  }
  return true;
}

const lastHashOf = (hashes: Uint8Array, i: number) => hashes.subarray(i * HASHES_PER_LINE + 32, i * HASHES_PER_LINE + 64);

/**
 * The workers' code: entryBatchWorker.ts and what it imports, bundled once per process into one
 * plain script. A worker that loaded the TypeScript through tsx spent ~0.45 s of CPU starting
 * (registering the loader, transforming each module); the script starts in ~60 ms.
 */
let workerScript: string | undefined;
const workerScriptOnce = (): string =>
  (workerScript ??= buildSync({
    entryPoints: [fileURLToPath(new URL('./entryBatchWorker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text);

/** Worker threads hashing batches, answered by id; referenced (keeping the process alive) only while a batch is out. */
class BatchPool implements BatchHasher {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (batch: HashedBatch) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  broken = false;

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => {
      // No inherited loader flags: the script is plain JavaScript.
      const worker = new Worker(workerScriptOnce(), { eval: true, execArgv: [] });
      worker.unref();
      worker.on('message', ({ id, bytes, batch }: { id: number } & HashedBatch) => {
        this.pending.get(id)?.resolve({ bytes, batch });
        this.pending.delete(id);
        if (this.pending.size === 0) for (const w of this.workers) w.unref();
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`a verifier worker exited (${code})`)));
      return worker;
    });
  }

  hash(bytes: Uint8Array<ArrayBuffer>): Promise<HashedBatch> {
    const id = this.nextId++;
    if (this.pending.size === 0) for (const w of this.workers) w.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage({ id, bytes }, [bytes.buffer]);
    });
  }

  private fail(error: Error): void {
    this.broken = true;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.removeAllListeners('exit');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
