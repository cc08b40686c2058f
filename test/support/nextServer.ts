/**
 * A real Next.js server for end-to-end tests and benchmarks: `next build` once, then `next start`
 * (or another entry) on a free 127.0.0.1 port, with its output collected.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/** `next build` of this tree, unless TQCA_NEXT_BUILT=1 says the caller has just built it (reruns on a loaded machine). */
export function buildNext(): void {
  if (process.env.TQCA_NEXT_BUILT === '1') return;
  const build = spawnSync(process.execPath, [NEXT_BIN, 'build'], { cwd: projectRoot, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
}

/** `next start` on 127.0.0.1 and the given port. */
export const nextStart = (port: number) => [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'];

/** Ready once the public OpenAPI document answers. */
export const apiAnswers = async (port: number) => (await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)).ok;

/** Starts `args` on a free port; resolves once `ready(port)` says it listens. Output goes to `output`. */
export async function startServer(
  args: (port: number) => string[],
  env: Record<string, string>,
  ready: (port: number) => boolean | Promise<boolean>,
  output: (chunk: string) => void,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { cwd: projectRoot, env: { ...process.env, ...env, PORT: String(port), NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (d: Buffer) => {
    log += d;
    output(String(d));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  for (let i = 0; i < 300; i++) {
    if (await Promise.resolve(ready(port)).catch(() => false)) return { child, port };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`the server did not come up:\n${log}`);
}
