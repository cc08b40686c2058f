/**
 * One publication (§12.2), atomic and serialised: in one transaction, under a transaction-scoped
 * advisory lock that every publisher on the database takes first, it reads the last version and
 * the CA's state, signs what needs signing in the HSM (the A4 when its content, its signer or its
 * next update requires it, then the manifest), checks the result with the client's algorithm
 * against the stored predecessor, and stores the version with its audit event.
 *
 * Holding the lock across the HSM calls is deliberate: publications are rare (a change or a
 * timer), two signatures take milliseconds, and a version is then taken, built, verified and
 * stored by exactly one process, so versions are consecutive and never burnt — a refused or
 * failed build rolls back and the next publication gets the same number. A signature made for a
 * rolled-back version never left the process.
 */
import { anticipatedHead, appendAuditEvent, SYSTEM_ACTOR, type AuditActor, type ChainHead } from '../audit';
import { concat, equal, samePublicBytes, toHex } from '../bytes';
import { refuseWith, transact, type CaServices, type Operator } from '../ca';
import {
  buildBundle,
  bundleLayout,
  decodeBundle,
  MANIFEST_RECORD_LENGTH,
  revocationList,
  type Bundle,
  type CertificateChanges,
  type RevocationEntry,
  type RevocationList,
  type RevocationListFields,
  type TrustedRoot,
} from '../codec';
import { reusedKeyVerifiers } from '../crypto/reusedKeys';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import type { Tx } from '../db/client';
import { Prisma } from '../db/generated/client';
import { err, unwrap, type Result } from '../errors';
import { changedRows, changedRowsColumn, readContents, ROOT_KEY_ROWS, rootKeyRows, type CertificateRow, type ListedRootKey, type PublicationContents, type RootKeyRow } from './contents';
import { a3RunsOf, rememberStoredBundle, storedBundle } from './reads';
import { DEFAULT_PUBLICATION_POLICY, type PublicationPolicy, type PublicationReason } from './policy';

/**
 * A first publication at 10,000 certificates verifies 40,000 signatures (builder and client check,
 * no predecessor to rely on): on a loaded machine that took two minutes, past the services' 30 s.
 */
const PUBLICATION_TIMEOUT_MS = 15 * 60_000;

/** Any constant both PostgreSQL and PGlite hash the same: the publication lock's key. */
const PUBLICATION_LOCK = 0x7471_6361; // "tqca"

export interface PublishOptions {
  readonly policy?: PublicationPolicy;
  /** The operator who asked (tqca bundle publish); the system otherwise. */
  readonly actor?: AuditActor;
}

export type PublishOutcome = { readonly version: number; readonly unchanged?: undefined } | { readonly unchanged: true; readonly version: number };

/**
 * Publishes a new version when the state differs from the last bundle or that bundle nears its
 * expiry; otherwise answers the current version, unchanged. When the preferred signer (the
 * active root key with the highest index) is not yet in the last bundle, clients do not trust it:
 * the older trusted key signs a version that lists it, and the new key signs the one after.
 */
export async function publish(ca: CaServices, reason: PublicationReason, options: PublishOptions = {}): Promise<Result<PublishOutcome>> {
  const first = await publishOnce(ca, reason, options);
  if (!first.ok || !first.value.rotationPending) return first.ok ? { ok: true, value: first.value.outcome } : first;
  const second = await publishOnce(ca, reason, options);
  return second.ok ? { ok: true, value: second.value.outcome } : second;
}

/** An operator's publication (tqca bundle publish): officers and administrators, audited as theirs. */
export async function publishAsOperator(ca: CaServices, operator: Operator, policy?: PublicationPolicy): Promise<Result<PublishOutcome>> {
  if (!operator.roles.some((r) => r === 'OFFICER' || r === 'ADMIN')) {
    return err('OPERATOR_FORBIDDEN', `${operator.username} may not publish bundles: needs role OFFICER or ADMIN`, {
      details: { operator: operator.username, roles: [...operator.roles], required: ['OFFICER', 'ADMIN'] },
    });
  }
  return publish(ca, 'operator', { policy, actor: operator });
}

interface Attempt {
  readonly outcome: PublishOutcome;
  readonly rotationPending: boolean;
  /** The latest version after this attempt, decoded. */
  readonly published: Bundle;
}

async function publishOnce(ca: CaServices, reason: PublicationReason, options: PublishOptions): Promise<Result<Attempt>> {
  const policy = options.policy ?? DEFAULT_PUBLICATION_POLICY;
  const attempt = await transact(ca.prisma, async (tx): Promise<Attempt> => {
    await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${PUBLICATION_LOCK})`;
    const now = ca.now();
    const publicationTime = Math.floor(now.getTime() / 1000);
    const { latest, changesFrom, rootKeys, auditHead } = await latestVersion(tx, now);
    // Stored versions were verified before they were stored, and read back only as those very bytes.
    const previous = latest ? await predecessor(tx, ca, latest) : undefined;
    const since = previous && latest?.changed ? { bundle: previous, changesFrom: latest.changed.since, listedAt: latest.publishedAt, changed: latest.changed.rows } : undefined;
    const contents = unwrap(await readContents(tx, ca, now, since, rootKeys));
    const trusted = trustedRoots(previous, contents.rootKeys);
    const signers = contents.rootKeys.filter((k) => k.state === 'ACTIVE');
    const signer = chooseSigner(signers, trusted);
    const rotationPending = signer.index !== signers[signers.length - 1].index;

    const held = await heldRevocationList(tx, latest, previous);
    const heldList = held?.list;
    const reusable = heldList && reusableList(heldList, signer.index, contents.revoked, publicationTime, policy);
    // A new A4 is signed by the builder, with the manifest's key, while it hashes the body.
    const list = reusable ? heldList : newRevocationList(signer, (heldList?.sequenceNumber ?? 0) + 1, contents.revoked, publicationTime, policy);

    if (latest && previous && reusable && latest.signingRootIndex === signer.index && latest.expiresAt.getTime() - now.getTime() > policy.leadSeconds * 1000) {
      if (sameContents(previous, contents, held!.bytes)) {
        return { outcome: { unchanged: true as const, version: latest.version }, rotationPending: false, published: previous };
      }
    }

    const version = (latest?.version ?? 0) + 1;
    const built = await buildBundle(
      {
        manifest: {
          rootKeyIndex: signer.index,
          clearingCenterId: ca.centerId,
          version,
          publicationTime,
          expires: Math.min(publicationTime + policy.lifetimeSeconds, list.nextUpdate),
        },
        rootKeys: contents.rootKeys.map((k) => k.a2),
        certificates: contents.certificates,
        revocationList: reusable ? held!.bytes : { unsigned: list },
        previous,
        previousVerified: previous !== undefined,
        // Verify before publishing, as a client holding the predecessor will: the builder's one check
        // is the client's with this T, on the very bytes, then the signature on them.
        trustedRoots: trusted.map((t) => ({ rootKeyIndex: t.rootKeyIndex, publicKey: verificationKey(t.publicKey) })),
      },
      (message) => ca.keys.sign({ id: signer.hsmKeyId }, message),
    );
    if (!built.ok) refuseWith(built.error);
    await appendAuditEvent(tx, {
      actor: options.actor ?? SYSTEM_ACTOR,
      action: 'bundle.published',
      objectType: 'bundle',
      objectId: String(version),
      details: {
        version,
        reason,
        bodySm3: toHex(built.value.manifest.bodyDigest),
        signingRootIndex: signer.index,
        a2Count: built.value.manifest.a2Count,
        a3Count: built.value.manifest.a3Count,
        a4Sequence: list.sequenceNumber,
        a4Signed: !reusable,
        a3SignedNow: contents.signedNow.length,
        // 'changes': the predecessor's lists plus the rows changed since its snapshot; 'full': every row.
        contentsRead: isChanges(contents.certificates) ? 'changes' : 'full',
        expires: new Date(built.value.manifest.expires * 1000),
      },
      time: now,
    }, { anticipated: auditHead, writesAlongside: bundleRows(built.value, reason, now, changesFrom, reusable ? undefined : built.value.revocationList) });
    return { outcome: { version }, rotationPending, published: built.value };
  }, {}, PUBLICATION_TIMEOUT_MS);
  // Only a committed version becomes the next publication's predecessor, and the readers' hot version.
  if (attempt.ok) {
    latestDecoded.set(ca.prisma, attempt.value.published);
    rememberStoredBundle(ca.prisma, attempt.value.published);
  }
  return attempt;
}

/** The latest version's row, as publication reads it (not its bytes). */
interface LatestVersion {
  readonly version: number;
  readonly manifest: Uint8Array;
  readonly bodySm3: Uint8Array;
  readonly publishedAt: Date;
  readonly expiresAt: Date;
  readonly a4Sequence: number;
  readonly signingRootIndex: number;
  /** Its changes_from and the certificate rows changed since; none for versions published before changes_from was kept. */
  readonly changed: { readonly since: bigint; readonly rows: readonly CertificateRow[] } | null;
}

/**
 * The latest version's row, X (the xmin of the snapshot this statement reads at), the root_key
 * rows and the certificate rows changed since that version, in one round trip, at one snapshot
 * (after the lock, so a version committed by the lock's last holder is seen). Every transaction
 * below X had ended before that snapshot: whatever it misses was written at or above X. And the
 * audit chain's head, unlocked, for the publication's event to follow without reading it again.
 */
async function latestVersion(tx: Tx, at: Date): Promise<{ latest: LatestVersion | null; changesFrom: bigint; rootKeys: RootKeyRow[]; auditHead: ChainHead | undefined }> {
  const head = anticipatedHead();
  const [row] = await tx.$queryRaw<
    {
      xmin: string;
      root_keys: string;
      version: number | null;
      manifest: Uint8Array;
      body_sm3: Uint8Array;
      published_at: Date;
      expires_at: Date;
      a4_sequence: number;
      signing_root_index: number;
      changes_from: string | null;
      changes: string | null;
      audit_head: string | null;
    }[]
  >`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, ${ROOT_KEY_ROWS} AS root_keys, ${head.column} AS audit_head, b.version, b.manifest, b.body_sm3, b.published_at, b.expires_at, b.a4_sequence, b.signing_root_index,
           b.changes_from::text AS changes_from, CASE WHEN b.changes_from IS NOT NULL THEN ${changedRowsColumn(at)} END AS changes
      FROM (SELECT max(version) AS version FROM bundle) AS last LEFT JOIN bundle AS b USING (version)`;
  const changesFrom = BigInt(row.xmin);
  const rootKeys = rootKeyRows(row.root_keys);
  const auditHead = head.read(row.audit_head);
  if (row.version === null) return { latest: null, changesFrom, rootKeys, auditHead };
  return {
    latest: {
      version: row.version,
      manifest: new Uint8Array(row.manifest),
      bodySm3: new Uint8Array(row.body_sm3),
      publishedAt: row.published_at,
      expiresAt: row.expires_at,
      a4Sequence: row.a4_sequence,
      signingRootIndex: row.signing_root_index,
      changed: row.changes_from === null || row.changes === null ? null : { since: BigInt(row.changes_from), rows: changedRows(row.changes) },
    },
    changesFrom,
    rootKeys,
    auditHead,
  };
}

/**
 * The latest stored version, decoded, per database: a publication decodes its predecessor once,
 * not each time. Keyed by the stored manifest (version, body SM3 and signature), so another
 * process's newer version, or a rolled-back one, is never taken for it; then read afresh (in this
 * transaction; reassembled and SM3-checked by `storedBundle`, so it is what was published and
 * verified, or the publication stops on BUNDLE_STORAGE_CORRUPT) and decoded.
 */
const latestDecoded = new WeakMap<object, Bundle>();

async function predecessor(tx: Tx, ca: CaServices, latest: { version: number; manifest: Uint8Array; bodySm3: Uint8Array }): Promise<Bundle> {
  const held = latestDecoded.get(ca.prisma);
  if (held && held.manifest.version === latest.version && samePublicBytes(held.manifest.bodyDigest, latest.bodySm3) && samePublicBytes(held.bytes.subarray(0, 122), latest.manifest)) {
    return held;
  }
  return unwrap(decodeBundle(unwrap(await storedBundle(tx, ca.prisma, latest.version))));
}

const bodyOf = (bundle: Uint8Array) => bundle.subarray(122);

/**
 * The last A4 issued, decoded. A4s are stored only with a bundle, in its transaction, so the last
 * one is the latest version's: the decoded predecessor carries it, no statement needed.
 */
async function heldRevocationList(tx: Tx, latest: { a4Sequence: number } | null, previous: Bundle | undefined): Promise<{ list: RevocationList; bytes: Uint8Array } | undefined> {
  if (latest && previous && previous.revocationList.sequenceNumber === latest.a4Sequence) {
    return { list: previous.revocationList, bytes: previous.bytes.subarray(bundleLayout(previous.manifest).a4) };
  }
  const row = await tx.revocationListIssue.findFirst({ orderBy: { sequence: 'desc' }, select: { bytes: true } });
  return row ? { list: unwrap(revocationList.decode(row.bytes)), bytes: row.bytes } : undefined;
}

/** The new contents are the predecessor's: same A2s, A3s and A4. */
function sameContents(previous: Bundle, contents: PublicationContents, listBytes: Uint8Array): boolean {
  const { certificates } = contents;
  if (isChanges(certificates)) {
    // Changes are only read against a predecessor with these very A2s.
    return certificates.removed.length === 0 && certificates.added.length === 0 && samePublicBytes(previous.bytes.subarray(bundleLayout(previous.manifest).a4), listBytes);
  }
  return samePublicBytes(bodyOf(previous.bytes), concat(...contents.rootKeys.map((k) => k.a2), ...certificates, listBytes));
}

const isChanges = (c: PublicationContents['certificates']): c is CertificateChanges => !Array.isArray(c);

/** T: what a client holding the predecessor trusts; before the first bundle, the CA's own active keys. */
interface Trusted extends TrustedRoot {
  readonly publicKey: Sm2PublicKey;
}

function trustedRoots(previous: Bundle | undefined, listed: readonly ListedRootKey[]): Trusted[] {
  if (previous) return previous.rootKeys.map((k) => ({ rootKeyIndex: k.rootKeyIndex, publicKey: k.publicKey }));
  return listed.filter((k) => k.state === 'ACTIVE').map((k) => ({ rootKeyIndex: k.index, publicKey: unwrap(sm2.publicKeyFromBytes(k.publicKey)) }));
}

/** The trusted root keys verify the new A4 and the manifest, prepared from a key's second publication on. */
const verificationKey = reusedKeyVerifiers({ from: 2 });

/** The highest-index listed key that clients already trust under that very index. */
function chooseSigner(listed: readonly ListedRootKey[], trusted: readonly Trusted[]): ListedRootKey {
  for (let i = listed.length - 1; i >= 0; i--) {
    const t = trusted.find((r) => r.rootKeyIndex === listed[i].index);
    if (t && equal(t.publicKey.bytes, listed[i].publicKey)) return listed[i];
  }
  return refuseWith({
    code: 'PUBLICATION_NO_SIGNER',
    message: listed.length === 0 ? 'no active, unexpired root key can sign the bundle' : 'no active, unexpired root key is one the last bundle’s clients trust',
    details: { listed: listed.map((k) => k.index), trusted: trusted.map((t) => t.rootKeyIndex) },
  });
}

/** The held A4 serves again when its entries and signer are today's and its next update is not near. */
function reusableList(held: RevocationList, signerIndex: number, entries: readonly RevocationEntry[], publicationTime: number, policy: PublicationPolicy): boolean {
  if (held.rootKeyIndex !== signerIndex || held.nextUpdate - publicationTime <= policy.leadSeconds) return false;
  if (held.entries.length !== entries.length) return false;
  return held.entries.every((e, i) => {
    const f = entries[i];
    return e.certificateNumber === f.certificateNumber && e.issuerId === f.issuerId && e.serial === f.serial && e.reason === f.reason;
  });
}

function newRevocationList(signer: ListedRootKey, sequenceNumber: number, entries: readonly RevocationEntry[], publicationTime: number, policy: PublicationPolicy): RevocationListFields {
  return { rootKeyIndex: signer.index, sequenceNumber, thisUpdate: publicationTime, nextUpdate: publicationTime + policy.lifetimeSeconds, entries };
}

/**
 * The version's row, and a newly signed A4's row (the row refers to it), as CTEs of the audit
 * event's statement: the version, its A4 and its event in one round trip (the bundle row's foreign
 * key is checked at the statement's end). Not the 1.84 MB (at 10,000 certificates) again: what
 * the version is made of is stored already and immutable — the A3s as certificate.a3_record (set
 * once: issuance, or a3SignedNow in this very transaction), the A4 as the revocation_list row; the
 * A2s are small. Raw SQL: Prisma's create of the bundle row took 1.5–2 ms more (its query plan,
 * the 40 KB of numbers converted twice).
 */
function bundleRows(bundle: Bundle, reason: PublicationReason, now: Date, changesFrom: bigint, newList: RevocationList | undefined): Prisma.Sql {
  const m = bundle.manifest;
  const { bytes } = bundle;
  const layout = bundleLayout(m);
  const a3Runs = a3RunsOf(bundle);
  const list = newList
    ? Prisma.sql`a4 AS (
        INSERT INTO revocation_list (sequence, bytes, root_key_index, this_update, next_update, entry_count, created_at)
        VALUES (${newList.sequenceNumber}, ${bytes.slice(layout.a4)}, ${newList.rootKeyIndex}, ${new Date(newList.thisUpdate * 1000)}, ${new Date(newList.nextUpdate * 1000)},
                ${newList.entries.length}, ${now})),`
    : Prisma.empty;
  return Prisma.sql`${list}
    version_row AS (
      INSERT INTO bundle (version, manifest, a2_records, a3_runs, size, body_sm3, published_at, expires_at, a2_count, a3_count, a4_sequence, signing_root_index, reason, changes_from)
      VALUES (${m.version}, ${bytes.slice(0, MANIFEST_RECORD_LENGTH)}, ${bytes.slice(MANIFEST_RECORD_LENGTH, layout.a3(0))}, ${a3Runs}, ${bytes.length},
              ${m.bodyDigest}, ${now}, ${new Date(m.expires * 1000)}, ${m.a2Count}, ${m.a3Count}, ${m.revocationSequenceNumber}, ${m.rootKeyIndex}, ${reason}, ${changesFrom}))`;
}
