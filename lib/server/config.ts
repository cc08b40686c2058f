/**
 * The console's settings, read once from the environment:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `TQCA_SESSION_IDLE_SECONDS` | a session unused this long ends | 900 |
 * | `TQCA_SESSION_MAX_SECONDS` | a session ends this long after sign-in | 43200 |
 * | `TQCA_STEP_UP_MAX_AGE_SECONDS` | step-up actions need a second factor at most this old (1–300: only stricter than 5 minutes) | 300 |
 *
 * The sign-in lockout is the operator account's (lib/ca/operators.ts: 5 failures, 15 minutes),
 * the same for the console and the command line.
 */
import { DEFAULT_SESSION_POLICY, STEP_UP_MAX_AGE_MS, type SessionPolicy } from '../ca';
import { TqException } from '../errors';

type Env = Readonly<Record<string, string | undefined>>;

function seconds(env: Env, name: string, fallbackMs: number, maxMs = Infinity): number {
  const text = env[name];
  if (text === undefined || text === '') return fallbackMs;
  if (!/^[1-9]\d{0,8}$/.test(text) || Number(text) * 1000 > maxMs) {
    const range = maxMs === Infinity ? '1 or more' : `1 to ${maxMs / 1000}`;
    throw new TqException({ code: 'CONSOLE_CONFIG_INVALID', message: `${name} must be a whole number of seconds, ${range}`, field: name, details: { value: text } });
  }
  return Number(text) * 1000;
}

export function sessionPolicyFrom(env: Env = process.env): SessionPolicy {
  return {
    idleMs: seconds(env, 'TQCA_SESSION_IDLE_SECONDS', DEFAULT_SESSION_POLICY.idleMs),
    absoluteMs: seconds(env, 'TQCA_SESSION_MAX_SECONDS', DEFAULT_SESSION_POLICY.absoluteMs),
    // Only ever stricter than the 5 minutes dual control allows (a test console waits less for it to lapse).
    stepUpMaxAgeMs: seconds(env, 'TQCA_STEP_UP_MAX_AGE_SECONDS', DEFAULT_SESSION_POLICY.stepUpMaxAgeMs, STEP_UP_MAX_AGE_MS),
  };
}
