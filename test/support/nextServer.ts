/**
 * Real Next.js servers for the end-to-end suites and benchmarks: one `next build` of the test
 * suite's, shared by every test file (suiteBuild), or a benchmark's own; then `next start` (or
 * another entry) processes on free ports, their output collected for failure messages, stopped
 * together.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../lib/cli/testSupport';

export const NEXT_BIN = join(projectRoot, 'node_modules/next/dist/bin/next');

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface ServerGroup {
  /** Every server's stdout and stderr so far. */
  readonly log: () => string;
  /** Starts `args` on a free port; resolves once `ready(port)` says it listens. */
  start(args: (port: number) => string[], env: Record<string, string>, ready: (port: number) => boolean | Promise<boolean>): Promise<{ child: ChildProcess; port: number }>;
  /** `next start` of this group's build on a free port, ready once /api/v1/openapi.json answers; its base URL. */
  startNext(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }>;
  stopAll(): void;
}

/**
 * `next build` into `distDir` (relative to the project); throws with the build's output when it
 * fails. TQCA_NEXT_BUILT=1 says the caller has just built it (reruns, benchmarks on a loaded machine).
 */
export function buildNext(distDir: string): void {
  if (process.env.TQCA_NEXT_BUILT === '1') return;
  const build = spawnSync(process.execPath, [NEXT_BIN, 'build'], { cwd: projectRoot, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TQCA_NEXT_DIST_DIR: distDir }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
}

/**
 * The test suite's one build: every file that needs a server (the browser project's global setup,
 * the API and TMS journeys) uses it. Nothing the app reads at build time differs between them
 * (next.config.js reads only the folder; no NEXT_PUBLIC_ settings), so one build serves all.
 */
export const SUITE_DIST_DIR = '.next-test';

/**
 * Builds SUITE_DIST_DIR once per vitest run (`run`, vitest.config.ts's TQCA_SUITE_RUN): the first
 * file to get here builds under a lock file while the others wait, then reuse it. Without a run id
 * (a file run outside vitest's config) it always builds. TQCA_NEXT_BUILT=1 skips the build as for
 * buildNext.
 */
export async function suiteBuild(run = process.env.TQCA_SUITE_RUN): Promise<void> {
  if (process.env.TQCA_NEXT_BUILT === '1') return;
  const stamp = join(projectRoot, SUITE_DIST_DIR, 'tqca-suite-run');
  const lock = join(projectRoot, `${SUITE_DIST_DIR}.lock`);
  await takeLock(lock);
  try {
    if (run && textOf(stamp) === run) return;
    buildNext(SUITE_DIST_DIR); // `next build` empties the folder, the stamp with it
    if (run) writeFileSync(stamp, run);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** An exclusive lock file holding its owner's pid; a lock whose owner died is taken over. */
async function takeLock(file: string): Promise<void> {
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      writeFileSync(file, String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(textOf(file));
    if (owner > 0 && !alive(owner)) rmSync(file, { force: true });
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The file's text, '' when there is none. */
function textOf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Servers over the build in `distDir` (the default `.next` when undefined). */
export function serverGroup(distDir?: string): ServerGroup {
  const children: ChildProcess[] = [];
  let log = '';
  const group: ServerGroup = {
    log: () => log,
    async start(args, env, ready) {
      const port = await freePort();
      const child = spawn(process.execPath, args(port), {
        cwd: projectRoot,
        env: { ...process.env, ...env, PORT: String(port), NEXT_TELEMETRY_DISABLED: '1', ...(distDir ? { TQCA_NEXT_DIST_DIR: distDir } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      child.stdout!.on('data', (d) => (log += d));
      child.stderr!.on('data', (d) => (log += d));
      for (let i = 0; i < 300; i++) {
        if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${log}`);
        if (await Promise.resolve(ready(port)).catch(() => false)) return { child, port };
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the server did not come up:\n${log}`);
    },
    async startNext(env) {
      const { child, port } = await group.start((p) => [NEXT_BIN, 'start', '-p', String(p), '-H', '127.0.0.1'], env, async (p) => (await fetch(`http://127.0.0.1:${p}/api/v1/openapi.json`)).ok);
      return { child, base: `http://127.0.0.1:${port}` };
    },
    stopAll() {
      for (const child of children) child.kill('SIGTERM');
    },
  };
  return group;
}
