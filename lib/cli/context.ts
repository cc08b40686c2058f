/** The RunContext of a real process: its stdin (once), its files, its clock. */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ok, type Result, type TqError } from '../errors';
import type { RunContext } from './command';
import { cliError } from './errorCodes';

export function processContext(json: boolean): RunContext {
  let stdinTaken = false;
  return {
    now: new Date(),
    json,
    async readStdin(limit: number): Promise<Result<Uint8Array>> {
      if (stdinTaken) return cliError('STDIN_REUSED', 'stdin (-) can be given only once');
      stdinTaken = true;
      if (process.stdin.isTTY) process.stderr.write('tqca: reading stdin (end with Ctrl-D)\n');
      try {
        return await bounded(process.stdin, limit, 'stdin');
      } catch (thrown) {
        return unreadable('stdin', thrown);
      }
    },
    async readFile(path: string, limit: number): Promise<Result<Uint8Array>> {
      try {
        // highWaterMark caps each read, so /dev/zero yields at most one chunk past the limit.
        return await bounded(createReadStream(path, { highWaterMark: Math.min(limit + 1, 64 * 1024) }), limit, path);
      } catch (thrown) {
        return unreadable(path, thrown);
      }
    },
  };
}

/** Reads `source` to its end, or stops (and closes it) once it has given more than `limit` bytes. */
async function bounded(source: Readable, limit: number, path: string): Promise<Result<Uint8Array>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    // Leaving the loop destroys the stream: nothing more is read.
    if (size > limit) return cliError('INPUT_TOO_LARGE', `${path} holds more than ${limit} bytes, the most this argument takes`, { details: { path, limit } });
  }
  return ok(new Uint8Array(Buffer.concat(chunks)));
}

function unreadable(path: string, thrown: unknown): { ok: false; error: TqError } {
  const code = (thrown as NodeJS.ErrnoException).code ?? 'EIO';
  return cliError('INPUT_UNREADABLE', `cannot read ${path} (${code})`, { details: { path, errno: code } });
}
