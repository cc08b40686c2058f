// A throwaway PostgreSQL 15 cluster for tests: initdb into a temp dir, listen on 127.0.0.1 at a
// random free port, trust auth, removed on stop. PostgreSQL refuses to run as root, so as root
// the server runs as the `postgres` user. Missing binaries fail loudly; nothing is skipped.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

const BIN_DIRS = [process.env.PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'].filter((d): d is string => !!d);

export interface TestPostgres {
  /** URL of the cluster's `postgres` database. */
  readonly url: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function findBinary(name: string, dirs: readonly string[]): string {
  for (const dir of dirs) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `PostgreSQL 15 server binary '${name}' not found in ${dirs.join(', ')}: install postgresql-15 (apt) or set PG_BIN. ` +
      'The database tests run on PostgreSQL as well as PGlite and are not skipped.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `binDirs`: where to look for initdb and pg_ctl (default: PG_BIN, then the usual places). */
/** `settings`: server parameters given at start (e.g. shared_preload_libraries, which only a start sets). */
export async function startPostgres(options: { binDirs?: readonly string[]; settings?: Readonly<Record<string, string>> } = {}): Promise<TestPostgres> {
  const settings = Object.entries(options.settings ?? {})
    .map(([name, value]) => ` -c ${name}=${value}`)
    .join('');
  const initdb = findBinary('initdb', options.binDirs ?? BIN_DIRS);
  const pgCtl = findBinary('pg_ctl', options.binDirs ?? BIN_DIRS);
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'tqca-pg-'));
  const dataDir = join(dir, 'data');
  const exec = (bin: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('running as root, but there is no `postgres` user to run the PostgreSQL test cluster');
    });
    const uid = Number(stdout.trim());
    await chown(dir, uid, uid);
    await chmod(dir, 0o700);
  }
  await exec(initdb, ['-D', dataDir, '-U', 'tqca', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  let port = 0;
  // A port found free can be taken before the server binds it: retry a few times.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const serverOptions = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off${settings}`;
    try {
      await exec(pgCtl, ['-D', dataDir, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      break;
    } catch (e) {
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL test cluster did not start: ${(e as Error).message}`);
      }
    }
  }
  const base = `postgresql://tqca@127.0.0.1:${port}`;
  // A test run that ends without stop() (a failed hook, an interrupted worker) leaves no server behind.
  const stopOnExit = () => {
    try {
      execFileSync(asRoot ? 'runuser' : pgCtl, [...(asRoot ? ['-u', 'postgres', '--', pgCtl] : []), '-D', dataDir, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);
  return {
    url: `${base}/postgres`,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `${base}/${name}`;
    },
    async stop() {
      process.off('exit', stopOnExit);
      await exec(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
