/**
 * Runs the real `tqca` binary for the CLI tests: `node bin/tqca.cjs …` (or `npx tqca …` to prove
 * the package's bin wiring), feeding stdin and parsing the one JSON object stdout must carry.
 * Not used by production code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface TqcaRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON; undefined when it is not JSON (help text). */
  readonly json: any;
}

export interface RunOptions {
  readonly stdin?: string | Uint8Array;
  /** `npx` runs `npx --no-install tqca`, resolving the binary through package.json "bin". */
  readonly via?: 'node' | 'npx';
  /** Extra node options, e.g. `--import` a loader hook. */
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function runTqca(args: readonly string[], options: RunOptions = {}): Promise<TqcaRun> {
  const [command, commandArgs] =
    options.via === 'npx'
      ? ['npx', ['--no-install', 'tqca', ...args]]
      : [process.execPath, [...(options.nodeArgs ?? []), 'bin/tqca.cjs', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: projectRoot, env: { ...process.env, ...options.env } });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const out = Buffer.concat(stdout).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(out);
      } catch {
        json = undefined;
      }
      resolve({ exitCode, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), json });
    });
    // A command that stops reading stdin early (an oversize input) closes the pipe: not a failure here.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });
}
