/**
 * What a new password must be: at least 12 characters, at most 1024 bytes, and not one of the
 * 10,000 most common passwords (commonPasswords.ts, source named there) — nor such a password
 * repeated, or padded with digits and punctuation ("password1234", "qwertyqwerty"), since the
 * length rule alone pushes people to exactly those.
 */
import { COMMON_PASSWORDS_TEXT } from './commonPasswords';
import { err, ok, type Result } from '../errors';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_BYTES = 1024;

let common: ReadonlySet<string> | undefined;

function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    COMMON_PASSWORDS_TEXT.split('\n').filter((line) => line !== ''),
  );
  return common;
}

/** The password and the words it is built from: itself, without padding, and the unit it repeats. */
function candidates(password: string): string[] {
  const lower = password.normalize('NFC').toLowerCase();
  const unpadded = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  const out = [lower, unpadded];
  for (const word of [lower, unpadded]) {
    const repeated = /^(.+?)\1+$/.exec(word);
    if (repeated) out.push(repeated[1]);
  }
  return out.filter((w) => w !== '');
}

export function checkNewPassword(password: string): Result<string> {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return err('PASSWORD_TOO_SHORT', `password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return err('OPERATOR_INVALID', `password longer than ${MAX_PASSWORD_BYTES} bytes`, { field: 'password' });
  const list = commonPasswords();
  if (candidates(password).some((w) => list.has(w))) {
    return err('PASSWORD_COMMON', 'the password is, or is built from, one of the most common passwords', { field: 'password' });
  }
  return ok(password);
}
