/** The RunContext of a real process: its stdin (once), its files, its clock. */
import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../errors';
import type { RunContext } from './command';

export function processContext(json: boolean): RunContext {
  let stdinTaken = false;
  return {
    now: new Date(),
    json,
    async readStdin(): Promise<Result<Uint8Array>> {
      if (stdinTaken) return err('STDIN_REUSED', 'stdin (-) can be given only once');
      stdinTaken = true;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return ok(new Uint8Array(Buffer.concat(chunks)));
    },
    async readFile(path: string): Promise<Result<Uint8Array>> {
      try {
        return ok(new Uint8Array(await readFile(path)));
      } catch (thrown) {
        const code = (thrown as NodeJS.ErrnoException).code ?? 'EIO';
        return err('INPUT_UNREADABLE', `cannot read ${path} (${code})`, { details: { path, errno: code } });
      }
    },
  };
}
