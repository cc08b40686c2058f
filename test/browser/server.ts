/**
 * Vitest global setup of the browser tests: one `next build` (into .next-test, leaving `npm
 * start`'s .next alone) and one production server on a free port over a fresh data directory
 * (software token, embedded PGlite: the quick start's defaults), prepared by the same first-run
 * step `npm start` runs. The console serves its embedded database to the data directory's owner,
 * so a test process opens the same CA beside the server (to make operators and submit requests
 * through the services) as an operator's `tqca` does. The server's short idle timeout lets the
 * tests reach it quickly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export const IDLE_SECONDS = 20;

declare module 'vitest' {
  export interface ProvidedContext {
    consoleUrl: string;
    firstAdmin: { username: string; password: string };
    idleSeconds: number;
    firstRunFile: string;
    /** The server's environment, for a test process that opens the same CA (lib/runtime/openCa). */
    caEnv: { TQCA_DATA_DIR: string; DATABASE_URL: string };
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

async function waitForServer(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}\n${log()}`);
    const answered = await fetch(`${url}/sign-in`).then((r) => r.status === 200, () => false);
    if (answered) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the console did not answer within 120 s\n${log()}`);
}

export interface Console {
  readonly url: string;
  readonly firstAdmin: { username: string; password: string };
  readonly firstRunFile: string;
  readonly caEnv: { TQCA_DATA_DIR: string; DATABASE_URL: string };
  stop(): Promise<void>;
}

const BUILD_ENV = { NEXT_TELEMETRY_DISABLED: '1', UV_THREADPOOL_SIZE: '16', TQCA_NEXT_DIST_DIR: '.next-test' };

/**
 * A console server of the suite's build over a fresh data directory, prepared by the first-run
 * step `npm start` runs. The global setup starts the shared one; a test file whose story needs a
 * CA of its own from the first run (the officers' ceremony) starts another.
 */
export async function startConsole(): Promise<Console> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tqca-browser-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ...BUILD_ENV,
    TQCA_DATA_DIR: dataDir,
    // Empty: the embedded database, whatever the caller's environment names.
    DATABASE_URL: '',
    NEXTAUTH_URL: url,
    TQCA_SESSION_IDLE_SECONDS: String(IDLE_SECONDS),
  };
  const firstRun = run(['tsx', 'scripts/console-setup.ts'], env);
  const firstRunFile = join(dataDir, 'secrets', 'first-run-admin');
  const [username, password] = readFileSync(firstRunFile, 'utf8').trim().split('\n');
  if (!firstRun.includes(password!)) throw new Error(`the first run did not print the administrator's password:\n${firstRun}`);

  let output = '';
  // Its own process group, so stopping ends npx and the next server beneath it together.
  const server = spawn('npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  await waitForServer(url, server, () => output);
  return {
    url,
    firstAdmin: { username: username!, password: password! },
    firstRunFile,
    caEnv: { TQCA_DATA_DIR: dataDir, DATABASE_URL: '' },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        process.kill(-server.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode === null) process.kill(-server.pid!, 'SIGKILL');
      }
      if (/Error|error/.test(output) && process.env.TQCA_BROWSER_SERVER_LOG) console.log(output);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync('npx', args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npx ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export default async function setup(project: TestProject) {
  // TQCA_NEXT_BUILT=1: the caller has just built .next-test (reruns on a loaded machine), as test/support/nextServer.ts reads it.
  if (process.env.TQCA_NEXT_BUILT !== '1') run(['next', 'build'], { ...process.env, ...BUILD_ENV });
  const shared = await startConsole();
  project.provide('consoleUrl', shared.url);
  project.provide('firstAdmin', shared.firstAdmin);
  project.provide('idleSeconds', IDLE_SECONDS);
  project.provide('firstRunFile', shared.firstRunFile);
  project.provide('caEnv', shared.caEnv);
  return () => shared.stop();
}
