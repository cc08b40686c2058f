/**
 * The console's settings, read once from the environment:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `TQCA_SESSION_IDLE_SECONDS` | a session unused this long ends | 900 |
 * | `TQCA_SESSION_MAX_SECONDS` | a session ends this long after sign-in | 43200 |
 * | `TQCA_SIGNIN_MAX_FAILURES` | consecutive failed sign-ins that lock an operator | 5 |
 * | `TQCA_SIGNIN_LOCKOUT_SECONDS` | how long the lock lasts | 900 |
 */
import { DEFAULT_SIGN_IN_POLICY, type SignInPolicy } from '../ca/signIn';
import { TqException } from '../errors';

type Env = Readonly<Record<string, string | undefined>>;

function seconds(env: Env, name: string, fallbackMs: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallbackMs;
  if (!/^[1-9]\d{0,8}$/.test(text)) {
    throw new TqException({ code: 'CONSOLE_CONFIG_INVALID', message: `${name} must be a whole number of seconds, 1 or more`, field: name, details: { value: text } });
  }
  return Number(text) * 1000;
}

export function signInPolicyFrom(env: Env = process.env): SignInPolicy {
  const failures = env.TQCA_SIGNIN_MAX_FAILURES;
  if (failures !== undefined && failures !== '' && !/^[1-9]\d{0,3}$/.test(failures)) {
    throw new TqException({ code: 'CONSOLE_CONFIG_INVALID', message: 'TQCA_SIGNIN_MAX_FAILURES must be 1–9999', field: 'TQCA_SIGNIN_MAX_FAILURES' });
  }
  return {
    maxFailures: failures ? Number(failures) : DEFAULT_SIGN_IN_POLICY.maxFailures,
    lockoutMs: seconds(env, 'TQCA_SIGNIN_LOCKOUT_SECONDS', DEFAULT_SIGN_IN_POLICY.lockoutMs),
    idleMs: seconds(env, 'TQCA_SESSION_IDLE_SECONDS', DEFAULT_SIGN_IN_POLICY.idleMs),
    absoluteMs: seconds(env, 'TQCA_SESSION_MAX_SECONDS', DEFAULT_SIGN_IN_POLICY.absoluteMs),
  };
}
