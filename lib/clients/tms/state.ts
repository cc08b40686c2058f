/**
 * What a TMS holds between pulls, in one owner-only directory:
 *
 *   state.json            version, ETag, SM3 of the bundle file, the trusted roots T, acknowledgement
 *   bundle-<version>.bin  the installed (last verified) full bundle
 *   pull.lock             held by the one pull at work (its process id)
 *
 * A new version is installed by writing its bundle file, then state.json (each atomically, see
 * ../files.ts): the rename of state.json is the one commit point, so a crash leaves either the old
 * installation or the new one, never a bundle with another version's trust. Older bundle files are
 * removed after the commit. Two pulls at once (cron overlapping a manual run) could otherwise commit
 * out of order — the slower one putting back an older version, or removing the bundle file the
 * other's state names — so a pull holds the directory's lock throughout.
 */
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { equal, parseHex, toHex } from '../../bytes';
import { decodeBundle, publicKeyOf, type Bundle, type TrustedRoot } from '../../codec';
import { sm2 } from '../../crypto/sm2';
import { sm3 } from '../../crypto/sm3';
import { err, ok, type Result } from '../../errors';
import { writeFileAtomically } from '../files';

const STATE_FILE = 'state.json';
const LOCK_FILE = 'pull.lock';
const FORMAT = 1;

export interface Installed {
  readonly bundle: Bundle;
  readonly etag: string | null;
  readonly trustedRoots: readonly TrustedRoot[];
  readonly installedAt: Date;
  /** The server accepted the acknowledgement of this version (retried at each pull until it has). */
  readonly acknowledged: boolean;
}

interface StateFile {
  readonly format: number;
  readonly version: number;
  readonly bundleFile: string;
  readonly bundleSm3: string;
  readonly etag: string | null;
  readonly trustedRoots: readonly { readonly index: number; readonly publicKey: string }[];
  readonly installedAt: string;
  readonly acknowledged: boolean;
}

const invalid = (dir: string, message: string, details: Record<string, unknown> = {}) =>
  err('CLIENT_STATE_INVALID', `${dir}: ${message}`, { field: 'state', details: { state: dir, ...details } });

/** Creates the directory owner-only if absent; refuses one that others may read (it holds what the terminals will trust). */
export async function openStateDir(dir: string): Promise<Result<string>> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    if (!info.isDirectory()) return invalid(dir, 'is not a directory');
    if ((info.mode & 0o077) !== 0) return invalid(dir, `is open to group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 700 it`);
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return invalid(dir, 'belongs to another user');
    return ok(dir);
  } catch (thrown) {
    return invalid(dir, `cannot be opened (${(thrown as NodeJS.ErrnoException).code ?? 'EIO'})`);
  }
}

/**
 * Takes the directory's lock for one pull; `release` gives it back. A lock left by a process that
 * no longer runs (killed mid-pull) is taken over: the state files are consistent whatever point it
 * died at (see above), so only a live holder excludes.
 */
export async function lockStateDir(dir: string): Promise<Result<{ release(): Promise<void> }>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      try {
        await file.writeFile(`${process.pid}\n`);
      } finally {
        await file.close();
      }
      return ok({ release: () => unlink(path).catch(() => undefined) });
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== 'EEXIST') return invalid(dir, `${LOCK_FILE} cannot be created (${(thrown as NodeJS.ErrnoException).code ?? 'EIO'})`);
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && processRuns(holder)) {
      return err('CLIENT_STATE_LOCKED', `${dir}: another pull (process ${holder}) is at work on it; try again when it ends`, { field: 'state', details: { state: dir, pid: holder } });
    }
    await unlink(path).catch(() => undefined);
  }
  return err('CLIENT_STATE_LOCKED', `${dir}: another pull took the lock at the same moment; try again`, { field: 'state', details: { state: dir } });
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    // EPERM: it runs, under another user.
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The installation in `dir`, or null before the first. Any inconsistency is an error, never a silent fresh start. */
export async function readInstalled(dir: string): Promise<Result<Installed | null>> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return ok(null);
    return invalid(dir, `${STATE_FILE} cannot be read (${(thrown as NodeJS.ErrnoException).code ?? 'EIO'})`);
  }
  let state: StateFile;
  try {
    state = JSON.parse(text) as StateFile;
  } catch {
    return invalid(dir, `${STATE_FILE} is not JSON`);
  }
  if (state.format !== FORMAT || typeof state.bundleFile !== 'string' || !/^bundle-\d+\.bin$/.test(state.bundleFile)) return invalid(dir, `${STATE_FILE} is not of format ${FORMAT}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, state.bundleFile)));
  } catch (thrown) {
    return invalid(dir, `${state.bundleFile} cannot be read (${(thrown as NodeJS.ErrnoException).code ?? 'EIO'})`);
  }
  if (toHex(sm3(bytes)) !== state.bundleSm3) return invalid(dir, `${state.bundleFile} is not the file that was installed (SM3 differs)`, { file: state.bundleFile });
  const bundle = decodeBundle(bytes);
  if (!bundle.ok || bundle.value.manifest.version !== state.version) return invalid(dir, `${state.bundleFile} does not hold version ${state.version}`);
  const trustedRoots: TrustedRoot[] = [];
  for (const root of state.trustedRoots ?? []) {
    const key = parseHex(root.publicKey, 'publicKey');
    const publicKey = key.ok ? sm2.publicKeyFromBytes(key.value, 'publicKey') : key;
    if (!publicKey.ok || !Number.isInteger(root.index)) return invalid(dir, `${STATE_FILE} holds a malformed trusted root`);
    trustedRoots.push({ rootKeyIndex: root.index, publicKey: publicKey.value });
  }
  return ok({ bundle: bundle.value, etag: state.etag ?? null, trustedRoots, installedAt: new Date(state.installedAt), acknowledged: state.acknowledged === true });
}

/** Installs `installed` as the new state (bundle file first, then the commit), and removes older bundle files. */
export async function writeInstalled(dir: string, installed: Installed): Promise<Result<Installed>> {
  const { bundle } = installed;
  const bundleFile = `bundle-${bundle.manifest.version}.bin`;
  const state: StateFile = {
    format: FORMAT,
    version: bundle.manifest.version,
    bundleFile,
    bundleSm3: toHex(sm3(bundle.bytes)),
    etag: installed.etag,
    trustedRoots: installed.trustedRoots.map((r) => ({ index: r.rootKeyIndex, publicKey: toHex(publicKeyOf(r.publicKey).bytes) })),
    installedAt: installed.installedAt.toISOString(),
    acknowledged: installed.acknowledged,
  };
  try {
    const path = join(dir, bundleFile);
    // A repeated write of the same version (a new ETag, an acknowledgement) leaves its bundle file as it is.
    const held = await readFile(path).then((b) => new Uint8Array(b), () => null);
    if (held === null || !equal(held, bundle.bytes)) await writeFileAtomically(path, bundle.bytes, 0o600);
    await writeFileAtomically(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
    for (const name of await readdir(dir)) {
      if (/^bundle-\d+\.bin$/.test(name) && name !== bundleFile) await unlink(join(dir, name)).catch(() => undefined);
    }
    return ok(installed);
  } catch (thrown) {
    return invalid(dir, `cannot be written (${(thrown as NodeJS.ErrnoException).code ?? 'EIO'}); the last installation stands`);
  }
}
