/**
 * The console's settings, read once from the environment:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `TQCA_SESSION_IDLE_SECONDS` | a session unused this long ends | 900 |
 * | `TQCA_SESSION_MAX_SECONDS` | a session ends this long after sign-in | 43200 |
 *
 * The sign-in lockout is the operator account's (lib/ca/operators.ts: 5 failures, 15 minutes),
 * the same for the console and the command line.
 */
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from '../ca';
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

export function sessionPolicyFrom(env: Env = process.env): SessionPolicy {
  return {
    idleMs: seconds(env, 'TQCA_SESSION_IDLE_SECONDS', DEFAULT_SESSION_POLICY.idleMs),
    absoluteMs: seconds(env, 'TQCA_SESSION_MAX_SECONDS', DEFAULT_SESSION_POLICY.absoluteMs),
  };
}
