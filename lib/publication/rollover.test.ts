/** The rollover timeline's phases and the lead flag, on root keys as the services list them. */
import { describe, expect, it } from 'vitest';
import type { RootKeyView } from '../ca';
import { rolloverTimeline, type RolloverFacts } from './rollover';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(T0 + days * DAY);
const iso = (days: number | null) => (days === null ? null : at(days).toISOString());

function key(index: string, state: string, days: { announced?: number; activated?: number; retired?: number }): RootKeyView {
  return {
    index, environment: 'TEST', state, expiry: '311231', publicKey: '', checkValue: '', a2Record: '', hsmKeyLabel: '', createdBy: 1, createdAt: iso(0)!,
    announcedAt: iso(days.announced ?? null), announcedBy: null, activatedAt: iso(days.activated ?? null), activatedBy: null, retiredAt: iso(days.retired ?? null), retiredBy: null,
  };
}

const facts = (over: Partial<RolloverFacts>): RolloverFacts => ({ keys: [], firstDistribution: new Map(), activationsOpen: new Set(), leadDays: 90, now: at(200), ...over });

describe('rolloverTimeline', () => {
  it('splits a superseded key into active and retiring, and a retired one ends retired', () => {
    const [old, next, gone] = rolloverTimeline(
      facts({ keys: [key('90', 'ACTIVE', { activated: 1 }), key('91', 'ACTIVE', { announced: 10, activated: 120 }), key('92', 'RETIRED', { announced: 130, retired: 150 })] }),
    );
    expect(old!.spans.map((s) => [s.phase, s.from, s.to])).toEqual([
      ['active', at(1), at(120)],
      ['retiring', at(120), old!.expiresAt],
    ]);
    expect(next!.spans.map((s) => s.phase)).toEqual(['announced', 'active']);
    expect(gone!.spans.map((s) => [s.phase, s.from, s.to])).toEqual([
      ['announced', at(130), at(150)],
      ['retired', at(150), gone!.expiresAt],
    ]);
    expect(old!.expiresAt.toISOString()).toBe('2031-12-31T15:59:59.999Z');
  });

  it('flags an announced key planned for use sooner than the lead after its first distribution', () => {
    const keys = [key('90', 'ACTIVE', { activated: 1 }), key('91', 'ANNOUNCED', { announced: 100 })];
    // Announced on day 100 (08:00 CST), first carried by a bundle on day 105: the CA allows day 190, the profile (CST) day 195.
    const late = rolloverTimeline(facts({ keys, firstDistribution: new Map([[0x91, { version: 7, publishedAt: at(105) }]]) }))[1]!;
    expect({ planned: late.plannedActivation, usableFrom: late.usableFrom, short: late.leadShort }).toEqual({ planned: at(190), usableFrom: new Date(at(195).getTime() - 8 * 3_600_000), short: true });
    // Published hours after the announcement, on the same CST day: the lead is met.
    const prompt = rolloverTimeline(facts({ keys, firstDistribution: new Map([[0x91, { version: 7, publishedAt: new Date(at(100).getTime() + 3 * 3_600_000) }]]) }))[1]!;
    expect(prompt.leadShort).toBe(false);
    // An activation awaiting approval is planned for now (day 200): past the lead, unless never distributed.
    expect(rolloverTimeline(facts({ keys, activationsOpen: new Set(['91']), firstDistribution: new Map([[0x91, { version: 7, publishedAt: at(105) }]]) }))[1]!.leadShort).toBe(false);
    expect(rolloverTimeline(facts({ keys }))[1]!.leadShort).toBe(true);
    expect(rolloverTimeline(facts({ keys }))[0]!.leadShort).toBe(false);
  });
});
