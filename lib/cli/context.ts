/** The RunContext of a real process: its stdin (once), its files, its clock. */
import { readFile } from 'node:fs/promises';
import { ok, type Result, type TqError } from '../errors';
import type { RunContext } from './command';
import { cliError } from './errorCodes';

export function processContext(json: boolean): RunContext {
  let stdinTaken = false;
  return {
    now: new Date(),
    json,
    async readStdin(): Promise<Result<Uint8Array>> {
      if (stdinTaken) return cliError('STDIN_REUSED', 'stdin (-) can be given only once');
      stdinTaken = true;
      if (process.stdin.isTTY) process.stderr.write('tqca: reading stdin (end with Ctrl-D)\n');
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      } catch (thrown) {
        return unreadable('stdin', thrown);
      }
      return ok(new Uint8Array(Buffer.concat(chunks)));
    },
    async readFile(path: string): Promise<Result<Uint8Array>> {
      try {
        return ok(new Uint8Array(await readFile(path)));
      } catch (thrown) {
        return unreadable(path, thrown);
      }
    },
  };
}

function unreadable(path: string, thrown: unknown): { ok: false; error: TqError } {
  const code = (thrown as NodeJS.ErrnoException).code ?? 'EIO';
  return cliError('INPUT_UNREADABLE', `cannot read ${path} (${code})`, { details: { path, errno: code } });
}
