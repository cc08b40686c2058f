/**
 * Vitest global setup of the browser tests: the suite's one `next build` (test/support/nextServer.ts
 * suiteBuild, into .next-test, leaving `npm start`'s .next alone) and one production server on a free port over a fresh data directory
 * (software token, embedded PGlite: the quick start's defaults), prepared by the same first-run
 * step `npm start` runs. The console serves its embedded database to the data directory's owner,
 * so a test process opens the same CA beside the server (to make operators and submit requests
 * through the services) as an operator's `tqca` does. The server's short idle timeout lets the
 * tests reach it quickly, and its short step-up freshness lets the refusal matrix see a second
 * factor go stale in half a minute instead of five.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { SUITE_DIST_DIR, suiteBuild } from '../support/nextServer';

export const IDLE_SECONDS = 20;
/** The shared console's TQCA_STEP_UP_MAX_AGE_SECONDS (the production limit is 300). */
export const STEP_UP_SECONDS = 30;

declare module 'vitest' {
  export interface ProvidedContext {
    consoleUrl: string;
    firstAdmin: { username: string; password: string };
    idleSeconds: number;
    stepUpSeconds: number;
    firstRunFile: string;
    /** The server's environment, for a test process that opens the same CA (lib/runtime/openCa). */
    caEnv: CaEnv;
  }
}

/** What a test process needs to open the console's CA beside it: its data directory, database and any settings it was started with. */
export type CaEnv = { TQCA_DATA_DIR: string; DATABASE_URL: string } & Record<string, string>;

export interface ConsoleOptions {
  /** Settings beyond the suite's, for the first run, the server and caEnv (e.g. TQCA_HSM_QUORUM). */
  readonly env?: Record<string, string>;
  /** Runs on the fresh data directory before the first run (e.g. to initialise a quorum token). */
  readonly prepare?: (caEnv: CaEnv) => void | Promise<void>;
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
  readonly caEnv: CaEnv;
  stop(): Promise<void>;
}

const BUILD_ENV = { NEXT_TELEMETRY_DISABLED: '1', UV_THREADPOOL_SIZE: '16', TQCA_NEXT_DIST_DIR: SUITE_DIST_DIR };

/**
 * A console server of the suite's build over a fresh data directory, prepared by the first-run
 * step `npm start` runs. The global setup starts the shared one; a test file whose story needs a
 * CA of its own from the first run (the officers' ceremony) starts another.
 */
export async function startConsole(options: ConsoleOptions = {}): Promise<Console> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tqca-browser-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Empty DATABASE_URL: the embedded database, whatever the caller's environment names.
  const caEnv: CaEnv = { ...options.env, TQCA_DATA_DIR: dataDir, DATABASE_URL: '' };
  await options.prepare?.(caEnv);
  const env = {
    ...process.env,
    ...BUILD_ENV,
    TQCA_SESSION_IDLE_SECONDS: String(IDLE_SECONDS),
    ...caEnv,
    NEXTAUTH_URL: url,
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
    caEnv,
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
  await suiteBuild(project.config.env.TQCA_SUITE_RUN);
  const shared = await startConsole({ env: { TQCA_STEP_UP_MAX_AGE_SECONDS: String(STEP_UP_SECONDS) } });
  project.provide('consoleUrl', shared.url);
  project.provide('firstAdmin', shared.firstAdmin);
  project.provide('idleSeconds', IDLE_SECONDS);
  project.provide('stepUpSeconds', STEP_UP_SECONDS);
  project.provide('firstRunFile', shared.firstRunFile);
  project.provide('caEnv', shared.caEnv);
  return () => shared.stop();
}
