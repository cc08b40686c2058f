/**
 * What changed from one published version to the next (TQ-CERT-1 §12): certificates (A3) and
 * revocations (A4 entries) added and removed, root keys (A2) added, removed or changed — a
 * changed key keeps its index but its record (key, expiry) or the role the manifest gives it
 * (announced above the signer, active as the signer, retiring below it) differs. A pure function
 * of two decoded bundles; the first version is compared with nothing, so it adds everything.
 */
import { equal } from '../bytes';
import { formatIndex } from '../ca';
import type { Bundle } from '../codec';

export const BUNDLE_CHANGE_KINDS = [
  'certificate-added',
  'certificate-removed',
  'revocation-added',
  'revocation-removed',
  'root-added',
  'root-removed',
  'root-changed',
] as const;
export type BundleChangeKind = (typeof BUNDLE_CHANGE_KINDS)[number];

export type RootRole = 'announced' | 'active' | 'retiring';

export interface BundleChange {
  readonly kind: BundleChangeKind;
  /** A certificate number as 8 lower-case hex digits, or a root-key index as 2 (as the console writes indexes, formatIndex). */
  readonly subject: string;
  /** root-changed only: what differs. */
  readonly record?: boolean;
  readonly role?: { readonly from: RootRole; readonly to: RootRole };
}

const certificateSubject = (n: number): string => n.toString(16).padStart(8, '0');
const rootSubject = formatIndex;

/** The role a bundle implies for a listed root key, relative to the key that signs its manifest. */
export const rootRole = (index: number, signer: number): RootRole => (index === signer ? 'active' : index > signer ? 'announced' : 'retiring');

/** Added and removed keys of two sets, each ascending. */
function setChanges(before: ReadonlySet<number>, after: ReadonlySet<number>, added: BundleChangeKind, removed: BundleChangeKind, subject: (n: number) => string): BundleChange[] {
  const changes: BundleChange[] = [];
  for (const n of [...after].sort((a, b) => a - b)) if (!before.has(n)) changes.push({ kind: added, subject: subject(n) });
  for (const n of [...before].sort((a, b) => a - b)) if (!after.has(n)) changes.push({ kind: removed, subject: subject(n) });
  return changes;
}

/** The changes from `previous` (null: nothing published before) to `current`, grouped by kind in BUNDLE_CHANGE_KINDS order. */
export function diffBundles(previous: Bundle | null, current: Bundle): BundleChange[] {
  const numbers = (b: Bundle | null) => new Set(b?.certificates.map((c) => c.certificateNumber));
  const revoked = (b: Bundle | null) => new Set(b?.revocationList.entries.map((e) => e.certificateNumber));
  const roots = (b: Bundle | null) => new Map(b?.rootKeys.map((r) => [r.rootKeyIndex, r]));
  const before = roots(previous);
  const after = roots(current);
  const rootChanges = setChanges(new Set(before.keys()), new Set(after.keys()), 'root-added', 'root-removed', rootSubject);
  for (const [index, now] of [...after].sort(([a], [b]) => a - b)) {
    const then = before.get(index);
    if (!then || !previous) continue;
    const record = !equal(then.checkValue, now.checkValue) || then.expiry.year !== now.expiry.year || then.expiry.month !== now.expiry.month || then.expiry.day !== now.expiry.day;
    const from = rootRole(index, previous.manifest.rootKeyIndex);
    const to = rootRole(index, current.manifest.rootKeyIndex);
    if (record || from !== to) rootChanges.push({ kind: 'root-changed', subject: rootSubject(index), record, ...(from !== to ? { role: { from, to } } : {}) });
  }
  const changes = [
    ...setChanges(numbers(previous), numbers(current), 'certificate-added', 'certificate-removed', certificateSubject),
    ...setChanges(revoked(previous), revoked(current), 'revocation-added', 'revocation-removed', certificateSubject),
    ...rootChanges,
  ];
  return changes.sort((a, b) => BUNDLE_CHANGE_KINDS.indexOf(a.kind) - BUNDLE_CHANGE_KINDS.indexOf(b.kind));
}

/** How many changes of each kind (every kind present, zero when none). */
export function countChanges(changes: readonly BundleChange[]): Record<BundleChangeKind, number> {
  const counts = Object.fromEntries(BUNDLE_CHANGE_KINDS.map((k) => [k, 0])) as Record<BundleChangeKind, number>;
  for (const c of changes) counts[c.kind]++;
  return counts;
}
