/** The worker side of verifyFile.ts: hashes each batch it is sent and sends its bytes and the arrays back (moved, not copied). */
import { parentPort } from 'node:worker_threads';
import { hashEntryBatch } from './entryBatch';

parentPort!.on('message', ({ id, bytes }: { id: number; bytes: Uint8Array }) => {
  const batch = hashEntryBatch(bytes);
  parentPort!.postMessage({ id, bytes, batch }, [bytes.buffer as ArrayBuffer, batch.starts.buffer, batch.ends.buffer, batch.status.buffer, batch.seqs.buffer, batch.hashes.buffer, batch.subtreeLeaves.buffer, batch.subtreeHashes.buffer]);
});
