/**
 * The root keys' rollover timeline (TQ-CERT-1 §4.2): each key's announced → active → retiring or
 * retired → expiry phases, its first distribution in a published bundle, and the profile's rule
 * that terminals get a new index at least the lead (TQCA_ROOT_ANNOUNCE_LEAD_DAYS, ≥ 90 days)
 * before it is used. The CA counts the lead from the announcement's approval; a bundle carries
 * the key later (the next publication), so an announced key whose planned activation comes
 * sooner than the lead after its first distribution — or that no bundle carries yet — is flagged.
 */
import { expiryDay } from '../codec';
import { parseRootKeyExpiry, type RootKeyState, type RootKeyView } from '../ca';
import { unwrap } from '../errors';
import type { RootDistribution } from './history';

const DAY_MS = 86_400_000;
const CST_MS = 8 * 3_600_000;
/** The lead is whole days: counted on CST calendar days, so a key announced and first published on one day is not short by the minutes between. */
const cstDay = (at: Date): number => Math.floor((at.getTime() + CST_MS) / DAY_MS);
const startOfCstDay = (day: number): Date => new Date(day * DAY_MS - CST_MS);

export type RolloverPhase = 'announced' | 'active' | 'retiring' | 'retired';

export interface RolloverSpan {
  readonly phase: RolloverPhase;
  readonly from: Date;
  readonly to: Date;
}

export interface RolloverKey {
  readonly index: string;
  readonly state: RootKeyState;
  readonly spans: readonly RolloverSpan[];
  readonly expiresAt: Date;
  readonly distributed: RootDistribution | null;
  /** The start of the CST day the lead after the first distribution ends on: the earliest use the profile allows. */
  readonly usableFrom: Date | null;
  /** An announced key: when an activation is awaiting approval, now; otherwise the earliest the CA allows (announcement + lead). */
  readonly plannedActivation: Date | null;
  /** An announced key planned for use sooner than the lead after its first distribution (or not distributed yet). */
  readonly leadShort: boolean;
}

export interface RolloverFacts {
  readonly keys: readonly RootKeyView[];
  readonly firstDistribution: ReadonlyMap<number, RootDistribution>;
  /** Indexes (as formatted) with an activation ceremony awaiting approval or execution. */
  readonly activationsOpen: ReadonlySet<string>;
  readonly leadDays: number;
  readonly now: Date;
}

const date = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

export function rolloverTimeline(f: RolloverFacts): RolloverKey[] {
  const activated = f.keys.map((k) => ({ index: Number.parseInt(k.index, 16), at: date(k.activatedAt) }));
  return f.keys.map((k) => {
    const index = Number.parseInt(k.index, 16);
    const state = k.state as RootKeyState;
    const expiresAt = expiryDay.end(unwrap(parseRootKeyExpiry(k.expiry)));
    const announced = date(k.announcedAt);
    const active = date(k.activatedAt);
    const retired = date(k.retiredAt);
    const distributed = f.firstDistribution.get(index) ?? null;
    const usableFrom = distributed ? startOfCstDay(cstDay(distributed.publishedAt) + f.leadDays) : null;
    // A higher index activated later supersedes this key as the signer: it is retiring from then on.
    const superseded = active && activated.filter((o) => o.index > index && o.at && o.at > active).map((o) => o.at!).sort((a, b) => a.getTime() - b.getTime())[0];
    const plannedActivation =
      state === 'ANNOUNCED' && announced ? (f.activationsOpen.has(k.index) ? f.now : new Date(announced.getTime() + f.leadDays * DAY_MS)) : null;
    const end = (at: Date | null | undefined) => at ?? expiresAt;
    const spans: RolloverSpan[] = [];
    if (announced) spans.push({ phase: 'announced', from: announced, to: end(active ?? retired ?? plannedActivation) });
    if (active) spans.push({ phase: 'active', from: active, to: end(superseded ?? retired) });
    if (active && superseded) spans.push({ phase: 'retiring', from: superseded, to: end(retired) });
    if (retired) spans.push({ phase: 'retired', from: retired, to: expiresAt });
    const leadShort = plannedActivation !== null && (usableFrom === null || plannedActivation.getTime() < usableFrom.getTime());
    return { index: k.index, state, spans, expiresAt, distributed, usableFrom, plannedActivation, leadShort };
  });
}
