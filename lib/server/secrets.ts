/**
 * The console key: 32 bytes from `TQCA_CONSOLE_KEY` (64 hex digits; set it, the same on every
 * server, when several serve one PostgreSQL database), else from `<TQCA_DATA_DIR>/secrets/console-key`,
 * generated on first use (mode 0600). Two keys are derived from it with HKDF-SHA-256: next-auth's
 * JWT secret and the key that seals TOTP secrets in the database. Losing it signs everyone out and
 * makes every enrolled second factor unreadable (SECOND_FACTOR_UNREADABLE: reset and re-enrol).
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TqException } from '../errors';

export interface ConsoleKeys {
  readonly jwtSecret: string;
  readonly sealKey: Uint8Array;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

function masterKey(env: Readonly<Record<string, string | undefined>>): Buffer {
  if (env.TQCA_CONSOLE_KEY) {
    if (!HEX_KEY.test(env.TQCA_CONSOLE_KEY)) {
      throw new TqException({ code: 'CONSOLE_CONFIG_INVALID', message: 'TQCA_CONSOLE_KEY must be 64 hex digits', field: 'TQCA_CONSOLE_KEY' });
    }
    return Buffer.from(env.TQCA_CONSOLE_KEY, 'hex');
  }
  const dir = join(resolve(/*turbopackIgnore: true*/ env.TQCA_DATA_DIR || '.data'), 'secrets');
  const file = join(dir, 'console-key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!HEX_KEY.test(text)) throw new TqException({ code: 'CONSOLE_CONFIG_INVALID', message: `${file} does not hold 64 hex digits`, field: 'console-key' });
  return Buffer.from(text, 'hex');
}

const derive = (key: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `tqca-console:${purpose}`, 32));

let keys: ConsoleKeys | undefined;

export function consoleKeys(env = process.env): ConsoleKeys {
  if (keys) return keys;
  const key = masterKey(env);
  keys = { jwtSecret: derive(key, 'jwt').toString('base64url'), sealKey: new Uint8Array(derive(key, 'totp-seal')) };
  return keys;
}
