// PGlite is PostgreSQL in one process with no postmaster: two processes opening one data
// directory would both write it and corrupt it. An exclusive flock(2) on a file beside the
// directory makes the second opener fail with a typed error instead. The kernel drops the lock
// when its owner's descriptor closes, including when the owner dies, so there is no stale lock to
// judge: the pid written into the file only names the owner in the DB_IN_USE message. An owner
// that serves the database (embeddedServer.ts) is joined through its socket instead (client.ts).
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import fsExt from 'fs-ext';
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

/** Takes `<dataDir>.lock` for this process, or throws DB_IN_USE naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir}.lock`;
  // libuv opens with O_CLOEXEC, so a child process never inherits the lock.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    fsExt.flockSync(fd, 'exnb');
  } catch (e) {
    closeSync(fd);
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' && (e as NodeJS.ErrnoException).code !== 'EWOULDBLOCK') throw e;
    // The owner may not have written its pid yet: then it is named only as "another process".
    const owner = ownerOf(path);
    throw new TqException({
      code: 'DB_IN_USE',
      message: `the embedded database ${dataDir} is open in ${owner ? `process ${owner}` : 'another process'}, which this process cannot join (only a running console shares it, and only with tqca commands): wait for it or stop it, or share a PostgreSQL server through DATABASE_URL`,
      field: 'database',
      details: { dataDir, ...(owner ? { pid: owner } : {}) },
    });
  }
  ftruncateSync(fd);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Closing the descriptor drops the lock; the file stays (unlinking it would let a later
    // opener lock a new file while a waiter still locks the old one).
    closeSync(fd);
  };
  process.on('exit', release);
  return { release };
}
