/**
 * "Check before signing" for root-key ceremonies (Boulder-style): which checks an action needs
 * is data, every check runs before the HSM generates or uses a key, and every result — pass or
 * fail — is kept with the ceremony, so an auditor sees what was verified, not only that it ran.
 */
import { equal } from '../bytes';
import type { ErrorCode, TqError } from '../errors';
import { checkAnnouncementLead, checkIndexForEnvironment, checkRootKeyExpiry, checkRootKeyTransition, type RootKeyEnvironment, type RootKeyState } from './rootKeyRules';
import type { CalendarDay } from '../codec';

export type CeremonyAction = 'CREATE' | 'ANNOUNCE' | 'ACTIVATE' | 'RETIRE';

export interface CreateParameters {
  readonly index: number;
  readonly environment: RootKeyEnvironment;
  readonly expiry: CalendarDay;
  /** The HSM label of the new key. */
  readonly keyLabel: string;
}

export interface OfficerFacts {
  readonly id: number;
  readonly roles: readonly string[];
  readonly status: string;
}

export interface RootKeyFacts {
  readonly state: RootKeyState;
  readonly expiry: CalendarDay;
  readonly createdById: number;
  readonly keyLabel: string;
  /** X ‖ Y as recorded at creation. */
  readonly publicKey: Uint8Array;
  /** When its announcement was approved; null if never announced. */
  readonly announcedAt: Date | null;
}

/** What the checks read; the service fills it from the database and the HSM, read-only. */
export interface CeremonyFacts {
  readonly action: CeremonyAction;
  readonly requester: OfficerFacts;
  readonly approver: OfficerFacts;
  readonly now: Date;
  /** CREATE only. */
  readonly create?: CreateParameters;
  /** ANNOUNCE, ACTIVATE and RETIRE only. */
  readonly rootKey?: RootKeyFacts;
  /** Another root key than this one is ACTIVE (ACTIVATE: a rollover, so the key must have been announced). */
  readonly anotherKeyActive: boolean;
  /** How long an announced key waits before activation (TQCA_ROOT_ANNOUNCE_LEAD_DAYS). */
  readonly announceLeadDays: number;
  /** True when a root key or another open CREATE ceremony already claims the index. */
  indexClaimed(index: number): Promise<boolean>;
  /** The HSM answers and offers the mechanisms the profile needs. */
  hsmHealth(): Promise<TqError | null>;
  /** X ‖ Y of the HSM key with this label, or null when there is none. */
  hsmPublicKey(label: string): Promise<Uint8Array | null>;
}

export interface CeremonyCheckResult {
  readonly check: string;
  readonly passed: boolean;
  readonly code?: string;
  readonly message?: string;
}

type Check = (facts: CeremonyFacts) => Promise<TqError | null> | TqError | null;

const problem = (code: ErrorCode, message: string, details?: Record<string, unknown>): TqError => ({ code, message, ...(details ? { details } : {}) });

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`ceremony facts lack ${what}`);
  return value;
}

const CHECKS = {
  /** Dual control: the approver is a different person from the requester. */
  approverIsNotRequester: ({ requester, approver }) =>
    requester.id === approver.id ? problem('DUAL_CONTROL_SAME_OFFICER', 'the officer who requested the ceremony cannot approve it') : null,

  /** The officer who created a key never also activates it. */
  approverIsNotCreator: ({ approver, rootKey }) =>
    need(rootKey, 'rootKey').createdById === approver.id
      ? problem('DUAL_CONTROL_SAME_OFFICER', 'the officer who created the root key cannot activate it')
      : null,

  bothAreActiveOfficers: ({ requester, approver }) => {
    for (const [who, o] of [['requester', requester], ['approver', approver]] as const) {
      if (o.status !== 'ACTIVE' || !o.roles.includes('OFFICER')) {
        return problem('OPERATOR_NOT_OFFICER', `the ${who} is not an active officer`, { operatorId: o.id });
      }
    }
    return null;
  },

  indexMatchesEnvironment: ({ create }) => {
    const p = need(create, 'create');
    const r = checkIndexForEnvironment(p.index, p.environment);
    return r.ok ? null : r.error;
  },

  indexUnclaimed: async ({ create, indexClaimed }) => {
    const p = need(create, 'create');
    return (await indexClaimed(p.index)) ? problem('ROOT_KEY_INDEX_IN_USE', 'the index is already assigned; indexes are never reused', { index: p.index }) : null;
  },

  expiryWindow: ({ create, now }) => {
    const r = checkRootKeyExpiry(need(create, 'create').expiry, now);
    return r.ok ? null : r.error;
  },

  hsmHealthy: ({ hsmHealth }) => hsmHealth(),

  keyLabelUnused: async ({ create, hsmPublicKey }) => {
    const label = need(create, 'create').keyLabel;
    return (await hsmPublicKey(label)) !== null ? problem('HSM_LABEL_IN_USE', 'the HSM already holds a key with this label', { label }) : null;
  },

  canBeAnnounced: ({ rootKey }) => {
    const r = checkRootKeyTransition(need(rootKey, 'rootKey').state, 'ANNOUNCED');
    return r.ok ? null : r.error;
  },

  /** A rollover key has been in the bundles for the lead (TQ-CERT-1 §9), so terminals hold it. */
  announcedForLead: ({ rootKey, anotherKeyActive, announceLeadDays, now }) => {
    const k = need(rootKey, 'rootKey');
    const r = checkAnnouncementLead({ state: k.state, announcedAt: k.announcedAt, anotherKeyActive, leadDays: announceLeadDays, now });
    return r.ok ? null : r.error;
  },

  canBecomeActive: ({ rootKey }) => {
    const r = checkRootKeyTransition(need(rootKey, 'rootKey').state, 'ACTIVE');
    return r.ok ? null : r.error;
  },

  canBeRetired: ({ rootKey }) => {
    const r = checkRootKeyTransition(need(rootKey, 'rootKey').state, 'RETIRED');
    return r.ok ? null : r.error;
  },

  notExpired: ({ rootKey, now }) => {
    const r = checkRootKeyExpiry(need(rootKey, 'rootKey').expiry, now, { minimumLifetimeDays: 0, maximumLifetimeDays: Infinity });
    return r.ok ? null : problem('ROOT_KEY_EXPIRED', 'the root key is past its expiry day');
  },

  /** The HSM still holds the very key recorded at creation (nobody swapped the object). */
  hsmKeyMatchesRecord: async ({ rootKey, hsmPublicKey }) => {
    const k = need(rootKey, 'rootKey');
    const held = await hsmPublicKey(k.keyLabel);
    if (held === null) return problem('HSM_KEY_MISSING', 'the HSM no longer holds the root key', { label: k.keyLabel });
    return equal(held, k.publicKey) ? null : problem('HSM_KEY_MISMATCH', 'the HSM key differs from the recorded root key', { label: k.keyLabel });
  },
} satisfies Record<string, Check>;

export type CeremonyCheckName = keyof typeof CHECKS;

/** The checks each action runs, in order. Changing what a ceremony verifies is editing this table. */
export const CEREMONY_CHECKS: Readonly<Record<CeremonyAction, readonly CeremonyCheckName[]>> = {
  CREATE: ['approverIsNotRequester', 'bothAreActiveOfficers', 'indexMatchesEnvironment', 'indexUnclaimed', 'expiryWindow', 'hsmHealthy', 'keyLabelUnused'],
  ANNOUNCE: ['approverIsNotRequester', 'bothAreActiveOfficers', 'canBeAnnounced', 'notExpired', 'hsmHealthy', 'hsmKeyMatchesRecord'],
  ACTIVATE: ['approverIsNotRequester', 'approverIsNotCreator', 'bothAreActiveOfficers', 'canBecomeActive', 'announcedForLead', 'notExpired', 'hsmHealthy', 'hsmKeyMatchesRecord'],
  RETIRE: ['approverIsNotRequester', 'bothAreActiveOfficers', 'canBeRetired'],
};

export interface CeremonyCheckReport {
  readonly results: readonly CeremonyCheckResult[];
  /** The first failure, in table order; null when every check passed. */
  readonly failure: TqError | null;
}

/** Runs every check of the action (none short-circuits), so the stored report is complete. */
export async function runCeremonyChecks(facts: CeremonyFacts): Promise<CeremonyCheckReport> {
  const results: CeremonyCheckResult[] = [];
  let failure: TqError | null = null;
  for (const name of CEREMONY_CHECKS[facts.action]) {
    const error = await CHECKS[name](facts);
    results.push(error ? { check: name, passed: false, code: error.code, message: error.message } : { check: name, passed: true });
    failure ??= error;
  }
  return { results, failure };
}
