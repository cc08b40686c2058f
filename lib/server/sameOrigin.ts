/**
 * Cross-site request refusal for everything authenticated by the session cookie (server actions,
 * our route handlers): a browser's `Sec-Fetch-Site` must be same-origin, and a state-changing
 * request must carry an `Origin` naming this very host. Next's own server-action check and the
 * SameSite=Strict cookie are further layers, not the only one.
 */
import { err, ok, type Result } from '../errors';

export function checkSameOrigin(headers: Headers, { changesState }: { changesState: boolean }): Result<void> {
  const refuse = (why: string) => err('CROSS_SITE_REQUEST', `refused a cross-site request: ${why}`, { field: 'origin' });
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return refuse(`Sec-Fetch-Site is ${site}`);
  const origin = headers.get('origin');
  const host = headers.get('host');
  if (origin === null) return changesState ? refuse('no Origin header') : ok(undefined);
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return refuse(`Origin ${origin} is not a URL`);
  }
  return originHost === host ? ok(undefined) : refuse(`Origin ${origin} is not this host`);
}
