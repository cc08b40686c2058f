import { describe, expect, it } from 'vitest';
import {
  announceLeadDaysFrom,
  checkIndexForEnvironment,
  checkRootKeyExpiry,
  checkRootKeyTransition,
  environmentOfIndex,
  formatRootKeyExpiry,
  parseRootKeyExpiry,
  rootKeyUsable,
} from './rootKeyRules';
import { expiryDay, expiryMonth } from '../codec';

const NOW = new Date('2026-11-24T05:00:00Z');

describe('root-key index (§9)', () => {
  it.each([
    [0x01, 'PRODUCTION'],
    [0x7f, 'PRODUCTION'],
    [0x80, 'TEST'],
    [0xfe, 'TEST'],
  ])('index %i is %s', (index, env) => {
    expect(environmentOfIndex(index)).toEqual({ ok: true, value: env });
  });

  it.each([0x00, 0xff, 0x100, -1, 1.5])('refuses index %d', (index) => {
    const r = environmentOfIndex(index);
    expect(!r.ok && r.error.code).toBe('ROOT_KEY_INDEX_RANGE');
  });

  it('refuses a test index for a production key and the reverse', () => {
    const a = checkIndexForEnvironment(0x80, 'PRODUCTION');
    const b = checkIndexForEnvironment(0x7f, 'TEST');
    expect(!a.ok && a.error.code).toBe('ROOT_KEY_INDEX_ENVIRONMENT');
    expect(!b.ok && b.error.code).toBe('ROOT_KEY_INDEX_ENVIRONMENT');
    expect(checkIndexForEnvironment(0x81, 'TEST').ok).toBe(true);
  });
});

describe('root-key expiry', () => {
  it('parses and formats YYMMDD', () => {
    const r = parseRootKeyExpiry('301231');
    expect(r).toEqual({ ok: true, value: { year: 2030, month: 12, day: 31 } });
    expect(formatRootKeyExpiry({ year: 2030, month: 12, day: 31 })).toBe('301231');
  });

  it.each(['3012', '301232', '270229', 'abcdef'])('refuses %s', (text) => {
    const r = parseRootKeyExpiry(text);
    expect(!r.ok && r.error.code).toBe('ROOT_KEY_EXPIRY_INVALID');
  });

  it('is valid through 23:59:59.999 CST of the day', () => {
    expect(expiryDay.end({ year: 2030, month: 12, day: 31 }).toISOString()).toBe('2030-12-31T15:59:59.999Z');
    expect(expiryMonth.end({ year: 2027, month: 2 }).toISOString()).toBe('2027-02-28T15:59:59.999Z');
  });

  it('enforces the lifetime window and YY < 50', () => {
    const code = (day: { year: number; month: number; day: number }) => {
      const r = checkRootKeyExpiry(day, NOW);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code({ year: 2030, month: 12, day: 31 })).toBe('ok');
    expect(code({ year: 2027, month: 6, day: 1 })).toBe('ROOT_KEY_EXPIRY_TOO_SOON');
    expect(code({ year: 2026, month: 1, day: 1 })).toBe('ROOT_KEY_EXPIRY_TOO_SOON');
    expect(code({ year: 2049, month: 12, day: 31 })).toBe('ok');
    expect(code({ year: 2050, month: 1, day: 1 })).toBe('ROOT_KEY_EXPIRY_YEAR');
    expect(checkRootKeyExpiry({ year: 2049, month: 12, day: 31 }, NOW, { minimumLifetimeDays: 365, maximumLifetimeDays: 3650 }).ok).toBe(false);
  });
});

describe('root-key life cycle', () => {
  it('allows pending → announced → active → retired and expiry, nothing else', () => {
    expect(checkRootKeyTransition('PENDING', 'ANNOUNCED').ok).toBe(true);
    expect(checkRootKeyTransition('ANNOUNCED', 'ACTIVE').ok).toBe(true);
    expect(checkRootKeyTransition('ANNOUNCED', 'RETIRED').ok).toBe(true);
    expect(checkRootKeyTransition('PENDING', 'ACTIVE').ok).toBe(true);
    expect(checkRootKeyTransition('ACTIVE', 'RETIRED').ok).toBe(true);
    expect(checkRootKeyTransition('ACTIVE', 'EXPIRED').ok).toBe(true);
    expect(checkRootKeyTransition('PENDING', 'EXPIRED').ok).toBe(true);
    for (const [from, to] of [
      ['PENDING', 'RETIRED'],
      ['RETIRED', 'ACTIVE'],
      ['EXPIRED', 'ACTIVE'],
      ['ACTIVE', 'PENDING'],
      ['ACTIVE', 'ANNOUNCED'],
      ['ANNOUNCED', 'ANNOUNCED'],
      ['RETIRED', 'ANNOUNCED'],
    ] as const) {
      const r = checkRootKeyTransition(from, to);
      expect(!r.ok && r.error.code).toBe('ROOT_KEY_STATE');
    }
  });

  it('signs only while active and not past its day', () => {
    const day = { year: 2030, month: 12, day: 31 };
    expect(rootKeyUsable('ACTIVE', day, new Date('2030-12-31T15:59:59.999Z'))).toBe(true);
    expect(rootKeyUsable('ACTIVE', day, new Date('2030-12-31T16:00:00.000Z'))).toBe(false);
    expect(rootKeyUsable('PENDING', day, NOW)).toBe(false);
  });
});

describe('announcement lead (TQCA_ROOT_ANNOUNCE_LEAD_DAYS)', () => {
  it('defaults to the profile’s 90 days and may lengthen it, never shorten it', () => {
    expect(announceLeadDaysFrom(undefined)).toEqual({ ok: true, value: 90 });
    expect(announceLeadDaysFrom('')).toEqual({ ok: true, value: 90 });
    expect(announceLeadDaysFrom('180')).toEqual({ ok: true, value: 180 });
    for (const text of ['89', '0', '-90', '90.5', ' 90', '3651', '1e3', 'ninety']) {
      const r = announceLeadDaysFrom(text);
      expect(!r.ok && [r.error.code, r.error.field]).toEqual(['ROOT_KEY_ANNOUNCE_LEAD_INVALID', 'TQCA_ROOT_ANNOUNCE_LEAD_DAYS']);
    }
  });
});
