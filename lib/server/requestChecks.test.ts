import { describe, expect, it } from 'vitest';
import { sessionPolicyFrom } from './config';
import { safeReturnPath } from './returnPath';
import { checkSameOrigin } from './sameOrigin';

const headers = (h: Record<string, string>) => new Headers({ host: 'ca.example:3000', ...h });

describe('checkSameOrigin', () => {
  it('passes a same-origin browser request and a state-changing one with this Origin', () => {
    expect(checkSameOrigin(headers({ 'sec-fetch-site': 'same-origin', origin: 'http://ca.example:3000' }), { changesState: true }).ok).toBe(true);
    expect(checkSameOrigin(headers({}), { changesState: false }).ok).toBe(true); // a read without browser metadata
  });

  it.each([
    [{ 'sec-fetch-site': 'cross-site', origin: 'http://ca.example:3000' }, 'Sec-Fetch-Site is cross-site'],
    [{ 'sec-fetch-site': 'same-site', origin: 'http://ca.example:3000' }, 'Sec-Fetch-Site is same-site'],
    [{ 'sec-fetch-site': 'none' }, 'Sec-Fetch-Site is none'],
    [{ origin: 'http://evil.example' }, 'Origin http://evil.example is not this host'],
    [{ origin: 'http://ca.example:3001' }, 'is not this host'],
    [{ origin: 'null' }, 'is not a URL'],
    [{}, 'no Origin header'],
  ])('refuses %j on a state change', (h, why) => {
    const r = checkSameOrigin(headers(h), { changesState: true });
    expect(!r.ok && r.error).toMatchObject({ code: 'CROSS_SITE_REQUEST', field: 'origin' });
    expect(!r.ok && r.error.message).toContain(why);
  });
});

describe('safeReturnPath', () => {
  it('keeps paths on this site and replaces anything else with /', () => {
    expect(safeReturnPath('/step-up?next=/x')).toBe('/step-up?next=/x');
    for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', undefined, 7, '/a b']) {
      expect(safeReturnPath(bad), String(bad)).toBe('/');
    }
  });
});

describe('sessionPolicyFrom', () => {
  it('reads seconds, with the defaults when unset', () => {
    expect(sessionPolicyFrom({})).toEqual({ idleMs: 900_000, absoluteMs: 43_200_000, stepUpMaxAgeMs: 300_000 });
    expect(sessionPolicyFrom({ TQCA_SESSION_IDLE_SECONDS: '20', TQCA_STEP_UP_MAX_AGE_SECONDS: '300' })).toEqual({ idleMs: 20_000, absoluteMs: 43_200_000, stepUpMaxAgeMs: 300_000 });
    expect(sessionPolicyFrom({ TQCA_STEP_UP_MAX_AGE_SECONDS: '20' }).stepUpMaxAgeMs).toBe(20_000);
  });

  it.each([['TQCA_SESSION_IDLE_SECONDS', '0'], ['TQCA_SESSION_MAX_SECONDS', '1.5'], ['TQCA_SESSION_MAX_SECONDS', '-1'], ['TQCA_STEP_UP_MAX_AGE_SECONDS', '301'], ['TQCA_STEP_UP_MAX_AGE_SECONDS', '0'], ['TQCA_STEP_UP_MAX_AGE_SECONDS', '5m']])('refuses %s=%s', (name, value) => {
    expect(() => sessionPolicyFrom({ [name]: value })).toThrow(expect.objectContaining({ error: expect.objectContaining({ code: 'CONSOLE_CONFIG_INVALID', field: name }) }));
  });
});
