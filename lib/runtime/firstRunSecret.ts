/**
 * The first-run administrator's one-time password file, `<TQCA_DATA_DIR>/secrets/first-run-admin`
 * (mode 0600): written by scripts/console-setup.ts so that a missed terminal line does not lock
 * the operator out, removed once that password is replaced (`tqca user passwd`, or the console's
 * password page).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_DATA_DIR } from '../../hsm/config';

type Env = Readonly<Record<string, string | undefined>>;

export const firstRunSecretFile = (env: Env = process.env): string => join(env.TQCA_DATA_DIR || DEFAULT_DATA_DIR, 'secrets', 'first-run-admin');

export function writeFirstRunSecret(username: string, password: string, env: Env = process.env): string {
  const file = firstRunSecretFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${username}\n${password}\n`, { mode: 0o600 });
  return file;
}

/** Removes the file when it holds `username`'s one-time password; true when it did. */
export function removeFirstRunSecret(username: string, env: Env = process.env): boolean {
  const file = firstRunSecretFile(env);
  let holder: string | undefined;
  try {
    holder = readFileSync(file, 'utf8').split('\n')[0];
  } catch {
    return false;
  }
  if (holder !== username) return false;
  rmSync(file, { force: true });
  return true;
}
