// The audit pages' GET parameters, parsed: a malformed value is FORM_INVALID naming its field, never a 500.
import type { AuditFilter, Cursor } from '../../../lib/ca';
import { Code, err, ok, type Result } from '../../../lib/errors';

export type AuditQuery = Partial<Record<'from' | 'to' | 'actor' | 'action' | 'object' | 'before' | 'after', string>>;

const SEQUENCE = /^[1-9]\d{0,15}$/;
// A datetime-local value (minutes, optionally seconds) or a date, in the console's time zone (CST, UTC+8).
const INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?)?$/;
const UNIT_MS = { day: 86_400_000, minute: 60_000, second: 1000 } as const;

/** The instant `text` names in CST; `end`: the end of the day, minute or second it names (an inclusive "to"). */
function cstInstant(text: string, field: 'from' | 'to', end: boolean): Result<Date> {
  const m = INSTANT.exec(text);
  const at = m ? new Date(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? ':00'}+08:00`) : null;
  if (!at || Number.isNaN(at.getTime())) return err(Code.FORM_INVALID, `${field} must be a date or date and time (YYYY-MM-DDTHH:MM, CST)`, { field });
  const unit = m![2] === undefined ? 'day' : m![3] === undefined ? 'minute' : 'second';
  return ok(end ? new Date(at.getTime() + UNIT_MS[unit]) : at);
}

export function parseCursor(q: AuditQuery): Result<Cursor> {
  for (const name of ['before', 'after'] as const) {
    const v = q[name];
    if (v !== undefined && v !== '' && !SEQUENCE.test(v)) return err(Code.FORM_INVALID, `${name} must be a sequence number`, { field: name });
  }
  if (q.after) return ok({ after: BigInt(q.after) });
  return ok(q.before ? { before: BigInt(q.before) } : {});
}

export function parseFilter(q: AuditQuery): Result<AuditFilter> {
  const text = (name: 'actor' | 'action' | 'object') => q[name]?.trim() || undefined;
  const from = q.from ? cstInstant(q.from, 'from', false) : ok(undefined);
  if (!from.ok) return from;
  const to = q.to ? cstInstant(q.to, 'to', true) : ok(undefined);
  if (!to.ok) return to;
  for (const name of ['actor', 'action', 'object'] as const) {
    if ((q[name]?.length ?? 0) > 200) return err(Code.FORM_INVALID, `${name} is longer than 200 characters`, { field: name });
  }
  return ok({ from: from.value, to: to.value, actor: text('actor'), action: text('action'), object: text('object') });
}

export const parseSequence = (text: string): bigint | null => (SEQUENCE.test(text) ? BigInt(text) : null);

/** The query parameters a keyset page link keeps: the filters, never the cursor. */
export const filterParams = (q: AuditQuery): Record<string, string> =>
  Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== 'before' && k !== 'after' && typeof v === 'string' && v !== '')) as Record<string, string>;
