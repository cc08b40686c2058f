/**
 * Root-key rules that need no database or HSM (TQ-CERT-1 §9): the index ranges, the expiry
 * window and the life-cycle transitions. The ceremony and the services apply them.
 */
import { parseHex } from '../bytes';
import { expiryDay, type CalendarDay } from '../codec';
import { err, ok, type Result } from '../errors';
import { DAY_MS } from './validity';

export type RootKeyEnvironment = 'PRODUCTION' | 'TEST';
export type RootKeyState = 'PENDING' | 'ANNOUNCED' | 'ACTIVE' | 'RETIRED' | 'EXPIRED';

/** Index `01`–`7F` is production, `80`–`FE` test; `00` and `FF` are never assigned. */
export function environmentOfIndex(index: number): Result<RootKeyEnvironment> {
  if (!Number.isInteger(index) || index < 0x01 || index > 0xfe) {
    return err('ROOT_KEY_INDEX_RANGE', 'root-key index must be 01–7F (production) or 80–FE (test)', {
      field: 'index',
      details: { index },
    });
  }
  return ok(index <= 0x7f ? 'PRODUCTION' : 'TEST');
}

/** The index must lie in the range of the environment the ceremony declares. */
export function checkIndexForEnvironment(index: number, environment: RootKeyEnvironment): Result<number> {
  const actual = environmentOfIndex(index);
  if (!actual.ok) return actual;
  if (actual.value !== environment) {
    return err('ROOT_KEY_INDEX_ENVIRONMENT', `index ${formatIndex(index)} is a ${actual.value.toLowerCase()} index, not ${environment.toLowerCase()}`, {
      field: 'index',
      details: { index, environment, indexEnvironment: actual.value },
    });
  }
  return ok(index);
}

export const formatIndex = (index: number): string => index.toString(16).toUpperCase().padStart(2, '0');

export interface RootKeyExpiryPolicy {
  /** Terminals need the key ≥ 90 days before first use (§9), then it must still sign for a while. */
  readonly minimumLifetimeDays: number;
  readonly maximumLifetimeDays: number;
}

export const DEFAULT_ROOT_KEY_EXPIRY_POLICY: RootKeyExpiryPolicy = {
  minimumLifetimeDays: 365,
  maximumLifetimeDays: 25 * 366,
};

/**
 * A root key's expiry (YYMMDD, 20YY) must have YY < 50 (as for certificates, §4), so its A2
 * record can be encoded before the HSM is touched, and leave between the minimum and maximum lifetime from `now`.
 */
export function checkRootKeyExpiry(expiry: CalendarDay, now: Date, policy = DEFAULT_ROOT_KEY_EXPIRY_POLICY): Result<Date> {
  const field = 'expiry';
  if (expiry.year < 2000 || expiry.year >= 2050) {
    return err('ROOT_KEY_EXPIRY_YEAR', 'expiry year must be 2000–2049 (YY < 50)', { field, details: { year: expiry.year } });
  }
  const validThrough = expiryDay.end(expiry);
  const lifetimeDays = (validThrough.getTime() - now.getTime()) / DAY_MS;
  if (lifetimeDays < policy.minimumLifetimeDays) {
    return err('ROOT_KEY_EXPIRY_TOO_SOON', `root key must stay valid at least ${policy.minimumLifetimeDays} days`, {
      field,
      details: { lifetimeDays: Math.floor(lifetimeDays), minimum: policy.minimumLifetimeDays },
    });
  }
  if (lifetimeDays > policy.maximumLifetimeDays) {
    return err('ROOT_KEY_EXPIRY_TOO_FAR', `root key may stay valid at most ${policy.maximumLifetimeDays} days`, {
      field,
      details: { lifetimeDays: Math.floor(lifetimeDays), maximum: policy.maximumLifetimeDays },
    });
  }
  return ok(validThrough);
}

/** Parses `YYMMDD` (BCD digits as the A2 record carries them) into a calendar day. */
export function parseRootKeyExpiry(text: string): Result<CalendarDay> {
  const bytes = parseHex(text, 'expiry');
  const day = bytes.ok && bytes.value.length === 3 ? expiryDay.decode(bytes.value) : null;
  if (day?.ok) return day;
  return err('ROOT_KEY_EXPIRY_INVALID', 'expiry must be a day written YYMMDD', { field: 'expiry', details: { text, cause: day?.error.code } });
}

export const formatRootKeyExpiry = ({ year, month, day }: CalendarDay): string =>
  [year % 100, month, day].map((v) => String(v).padStart(2, '0')).join('');

/**
 * Life cycle: PENDING → ANNOUNCED → ACTIVE → RETIRED | EXPIRED. PENDING → ACTIVE only for a key
 * no bundle can carry first (no other key active: see checkAnnouncementLead); an announced key
 * may be withdrawn (RETIRED) without ever signing; any unused key may expire.
 */
const TRANSITIONS: Readonly<Record<RootKeyState, readonly RootKeyState[]>> = {
  PENDING: ['ANNOUNCED', 'ACTIVE', 'EXPIRED'],
  ANNOUNCED: ['ACTIVE', 'RETIRED', 'EXPIRED'],
  ACTIVE: ['RETIRED', 'EXPIRED'],
  RETIRED: [],
  EXPIRED: [],
};

export function checkRootKeyTransition(from: RootKeyState, to: RootKeyState): Result<RootKeyState> {
  return TRANSITIONS[from].includes(to)
    ? ok(to)
    : err('ROOT_KEY_STATE', `a ${from.toLowerCase()} root key cannot become ${to.toLowerCase()}`, {
        field: 'state',
        details: { from, to },
      });
}

/** A root key signs only while ACTIVE and before the end of its expiry day. */
export function rootKeyUsable(state: RootKeyState, expiry: CalendarDay, at: Date): boolean {
  return state === 'ACTIVE' && at.getTime() <= expiryDay.end(expiry).getTime();
}


/** TQ-CERT-1 §9: a new root index is distributed at least 90 days before terminals must use it. */
export const MINIMUM_ANNOUNCE_LEAD_DAYS = 90;
const MAXIMUM_ANNOUNCE_LEAD_DAYS = 3650;

/** TQCA_ROOT_ANNOUNCE_LEAD_DAYS: unset is the profile's 90 days; it may lengthen the lead, never shorten it. */
export function announceLeadDaysFrom(text: string | undefined): Result<number> {
  if (!text) return ok(MINIMUM_ANNOUNCE_LEAD_DAYS);
  const days = /^[1-9][0-9]{0,3}$/.test(text) ? Number(text) : NaN;
  if (!(days >= MINIMUM_ANNOUNCE_LEAD_DAYS && days <= MAXIMUM_ANNOUNCE_LEAD_DAYS)) {
    return err('ROOT_KEY_ANNOUNCE_LEAD_INVALID', `TQCA_ROOT_ANNOUNCE_LEAD_DAYS must be a whole number of days from ${MINIMUM_ANNOUNCE_LEAD_DAYS} to ${MAXIMUM_ANNOUNCE_LEAD_DAYS}`, {
      field: 'TQCA_ROOT_ANNOUNCE_LEAD_DAYS',
      details: { value: text },
    });
  }
  return ok(days);
}

export interface AnnouncementFacts {
  readonly state: RootKeyState;
  readonly announcedAt: Date | null;
  /** Some other root key is ACTIVE: its bundles can carry this one ahead of use. */
  readonly anotherKeyActive: boolean;
  readonly leadDays: number;
  readonly now: Date;
}

/**
 * Activation waits until terminals have had the key for the lead. The first key (none other
 * active) has no bundle to travel in: acquirers confirm its check value out of band.
 */
export function checkAnnouncementLead(f: AnnouncementFacts): Result<void> {
  if (!f.anotherKeyActive) return ok(undefined);
  if (f.state !== 'ANNOUNCED' || f.announcedAt === null) {
    return err('ROOT_KEY_NOT_ANNOUNCED', 'another root key is active: announce this one (tqca root announce) and wait the lead before activating it', {
      field: 'index',
      details: { state: f.state, leadDays: f.leadDays },
    });
  }
  const usableFrom = new Date(f.announcedAt.getTime() + f.leadDays * DAY_MS);
  if (f.now.getTime() < usableFrom.getTime()) {
    return err('ROOT_KEY_ANNOUNCEMENT_TOO_RECENT', `announced ${f.announcedAt.toISOString()}; it may be activated from ${usableFrom.toISOString()} (${f.leadDays} days)`, {
      field: 'index',
      details: { announcedAt: f.announcedAt.toISOString(), activatableFrom: usableFrom.toISOString(), leadDays: f.leadDays },
    });
  }
  return ok(undefined);
}
