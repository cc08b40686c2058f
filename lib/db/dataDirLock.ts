// PGlite is PostgreSQL in one process with no postmaster: two processes opening one data
// directory would both write it and corrupt it. A lock file beside the directory, holding the
// owner's pid, makes the second opener fail with a typed error instead. A lock left by a process
// that died is taken over.
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { TqException } from '../errors';

export interface DataDirLock {
  release(): void;
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
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

/** Takes `<dataDir>.lock` for this process, or throws DB_IN_USE naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir}.lock`;
  // The lock appears by link(2), already holding the pid: a concurrent opener never reads a
  // lock file still empty and takes it for a stale one.
  const written = `${path}.${process.pid}`;
  writeFileSync(written, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(written, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = ownerOf(path);
        if (owner !== undefined && alive(owner)) {
          throw new TqException({
            code: 'DB_IN_USE',
            message: `the embedded database ${dataDir} is open in process ${owner}; stop it, or share a PostgreSQL server through DATABASE_URL`,
            field: 'database',
            details: { dataDir, pid: owner },
          });
        }
        // Stale (its process is gone) or damaged: remove it and try again.
        rmSync(path, { force: true });
        continue;
      }
      const release = () => {
        process.off('exit', release);
        if (ownerOf(path) === process.pid) unlinkSync(path);
      };
      process.on('exit', release);
      return { release };
    }
  } finally {
    unlinkSync(written);
  }
  throw new TqException({ code: 'DB_IN_USE', message: `could not take the lock ${path}`, field: 'database', details: { dataDir } });
}
