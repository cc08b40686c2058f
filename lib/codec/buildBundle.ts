/**
 * Bundle builder (TQ-CERT-1 §12.2), for the publication pipeline: given the records and the
 * manifest fields, it orders the body (A2 by index, A3 by certificate number), computes the
 * counts, the A4 sequence and SM3 of the body, runs every client check but the manifest
 * signature on the result, and only then asks `sign` (the HSM, in production) for the manifest
 * signature, which it verifies before returning the bundle. So what it returns has passed every
 * check of verifyBundle (under the signing A2, at the publication time, against `previous`), and a
 * bundle a client would reject is never emitted; the A3 signatures are checked once, not twice.
 */
import { concat, equal } from '../bytes';
import { sm3Hasher } from '../crypto/sm3';
import { Code, err, ok, TqException, type Result } from '../errors';
import { bundleLayout, decodeBundle, digestBody, knownCertificates, positionOf, type Bundle, type DigestedRange, type KnownCertificates } from './bundle';
import { certificateRecord, type CertificateRecord } from './certificateRecord';
import { expiryDay } from './expiry';
import { manifestRecord, MANIFEST_RECORD_LENGTH, MANIFEST_SIGNED_LENGTH, type ManifestFields } from './manifestRecord';
import { revocationList, type RevocationList, type RevocationListFields } from './revocationList';
import { rootKeyRecord, ROOT_KEY_RECORD_LENGTH, type RootKeyRecord } from './rootKeyRecord';
import { hexByte, parseInput, rebase } from './structure';
import type { TrustedRoot } from './trustedRoot';
import { verifySignature } from './verificationKey';
import { checkBundle, checkDecodedBundle, type BundleVerificationInput } from './verifyBundle';

/** The manifest fields the publisher chooses; counts, A4 sequence and body digest are derived. */
export type BundleManifestInput = Pick<ManifestFields, 'rootKeyIndex' | 'clearingCenterId' | 'version' | 'publicationTime' | 'expires'>;

export interface BundleContents {
  readonly manifest: BundleManifestInput;
  /** Every root key a terminal may need, the signing key's included; any order. */
  readonly rootKeys: readonly (Uint8Array | RootKeyRecord)[];
  /**
   * Every valid certificate record, any order; or what changed since `previous` (given decoded),
   * which then lends the bundle its A3 region byte for byte.
   */
  readonly certificates: readonly (Uint8Array | CertificateRecord)[] | CertificateChanges;
  /**
   * Signed by the manifest's signing key; or its fields, for `sign` to sign (the A4 of a
   * publication), which the builder asks for before it hashes the body and awaits only for the
   * body's last bytes: the HSM signs while the host hashes.
   */
  readonly revocationList: Uint8Array | RevocationList | UnsignedRevocationList;
  /**
   * The last published bundle: rollback, rebinding and A4 sequence are checked against it (a
   * Bundle is taken as decoded; its byte-identical A3 records are not decoded again).
   */
  readonly previous?: Uint8Array | Bundle;
  /**
   * T of the clients that will check the bundle (a publisher: the predecessor's A2 keys), so the
   * one check before signing is the client's own (check 2 included); default: the signing key alone.
   */
  readonly trustedRoots?: readonly TrustedRoot[];
  /** `previous` was verified before it was published: its unchanged A3 records are not verified again (verifyBundle `previousVerified`). */
  readonly previousVerified?: boolean;
}

/** The A3 set as `previous`'s without `removed`, with `added`. */
export interface CertificateChanges {
  /** Numbers of records `previous` lists and this bundle does not; any order. */
  readonly removed: readonly number[];
  /** Records `previous` does not list (under that number); any order. */
  readonly added: readonly Uint8Array[];
}

const isChanges = (c: BundleContents['certificates']): c is CertificateChanges => !Array.isArray(c);

export interface UnsignedRevocationList {
  readonly unsigned: RevocationListFields;
}

const isUnsigned = (l: BundleContents['revocationList']): l is UnsignedRevocationList => 'unsigned' in l;

/** Signs with the signing root key (the manifest's 58 bytes; an unsigned A4's to-be-signed bytes): r‖s (64 bytes), or the signer's own error. */
export type BundleSigner = (message: Uint8Array) => Promise<Result<Uint8Array>>;

const ZERO_SIGNATURE = new Uint8Array(64);

export async function buildBundle(contents: BundleContents, sign: BundleSigner): Promise<Result<Bundle>> {
  const held = contents.previous instanceof Uint8Array ? decodeBundle(contents.previous) : ok(contents.previous);
  if (!held.ok) return { ok: false, error: rebase(held.error, 0, 'previous') };
  const signed = parseSigned(contents);
  if (!signed.ok) return signed;
  const { rootKeys, a4ToBeSigned } = signed.value;
  let { list } = signed.value;
  const changes = contents.certificates;
  if (isChanges(changes)) {
    if (!held.value) return err('VALUE_RANGE', 'certificate changes need the previous bundle', { field: 'previous' });
    if (contents.previousVerified && sameKeysListed(held.value, rootKeys)) {
      const checked = checkedSigned(contents, rootKeys, list);
      if (!checked.ok) return checked;
      return buildSuccessor(contents, held.value, changes, { signing: checked.value, rootKeys, list, a4ToBeSigned }, sign);
    }
  }
  if (a4ToBeSigned) {
    // The general path (a first bundle, new root keys): the A4 signed first, then built as given.
    const signature = await signedRevocationList(a4ToBeSigned, sign);
    if (!signature.ok) return signature;
    list = { ...list, rootSignature: signature.value };
  }
  const parsed = parseCertificates(isChanges(changes) ? applyChanges(held.value!, changes) : changes, held.value && knownCertificates(held.value));
  if (!parsed.ok) return parsed;
  const certificates = parsed.value;
  const { manifest } = contents;
  const checkedKeys = checkedSigned(contents, rootKeys, list);
  if (!checkedKeys.ok) return checkedKeys;
  const signing = checkedKeys.value;

  // The manifest's place left zero (signature included) until the body's digest is known.
  const bytes = concat(new Uint8Array(MANIFEST_RECORD_LENGTH), ...rootKeys.map((k) => rootKeyRecord.encode(k)), ...certificates.map((c) => c.bytes), revocationList.encode(list));
  const digested = digestBody(bytes);
  const fields: ManifestFields = {
    ...manifest,
    a2Count: rootKeys.length,
    a3Count: certificates.length,
    revocationSequenceNumber: list.sequenceNumber,
    bodyDigest: digested.digest,
  };
  const encoded = manifestToBeSigned(fields);
  if (!encoded.ok) return encoded;
  const toBeSigned = encoded.value;
  bytes.set(toBeSigned, 0);
  const unsigned = checkBundle({ ...clientCheck(contents, signing, held.value), bundle: bytes }, false, digested);
  if (!unsigned.ok) return unsigned;
  const rootSignature = await signedManifest(toBeSigned, signing, contents, sign);
  if (!rootSignature.ok) return rootSignature;
  // The checked bundle's bytes are its own copy, never handed out before: the signature goes in place.
  const checked = unsigned.value.bundle;
  checked.bytes.set(rootSignature.value, MANIFEST_SIGNED_LENGTH);
  return { ok: true, value: { ...checked, manifest: { ...checked.manifest, rootSignature: rootSignature.value } } };
}

function manifestToBeSigned(fields: ManifestFields): Result<Uint8Array> {
  try {
    return ok(manifestRecord.toBeSigned(fields));
  } catch (e) {
    if (e instanceof TqException) return { ok: false, error: rebase(e.error, 0, 'manifest') };
    throw e;
  }
}

/** The client's check the builder runs before signing: this T and P, at the publication time, no skew. */
function clientCheck(contents: BundleContents, signing: RootKeyRecord, previous: Bundle | undefined): Omit<BundleVerificationInput, 'bundle'> & { now: Date; skewSeconds: number } {
  return {
    trustedRoots: contents.trustedRoots ?? [{ rootKeyIndex: signing.rootKeyIndex, publicKey: signing.publicKey }],
    previous,
    previousVerified: contents.previousVerified,
    centerId: contents.manifest.clearingCenterId,
    now: new Date(contents.manifest.publicationTime * 1000),
    skewSeconds: 0,
  };
}

/** The signer's r‖s over the manifest, verified on the host: checks 1 and 3–7 passed on the very bytes, the signature is all that is new. */
async function signedManifest(toBeSigned: Uint8Array, signing: RootKeyRecord, contents: BundleContents, sign: BundleSigner): Promise<Result<Uint8Array>> {
  const signature = await sign(toBeSigned);
  if (!signature.ok) return signature;
  if (!(signature.value instanceof Uint8Array) || signature.value.length !== 64) {
    return err(Code.SIGNATURE_LENGTH, 'the signer must return r‖s, 64 bytes', { field: 'manifest.rootSignature', offset: toBeSigned.length });
  }
  const rootSignature = signature.value.slice();
  // The check has bound a trusted index to the very key its A2 lists: the caller's key (prepared, perhaps) is that key.
  const trusted = contents.trustedRoots?.find((r) => r.rootKeyIndex === signing.rootKeyIndex)?.publicKey;
  if (!verifySignature(trusted ?? signing.publicKey, toBeSigned, rootSignature)) {
    return err('SIGNATURE_INVALID', `the signer's signature does not verify with root key ${hexByte(signing.rootKeyIndex)}`, {
      field: 'manifest.rootSignature',
      offset: MANIFEST_SIGNED_LENGTH,
    });
  }
  return ok(rootSignature);
}

/** The signing key is listed and signs the A4, and no listed key has expired at the publication time. */
function checkedSigned(contents: BundleContents, rootKeys: readonly RootKeyRecord[], list: RevocationList): Result<RootKeyRecord> {
  const { manifest } = contents;
  const signing = rootKeys.find((k) => k.rootKeyIndex === manifest.rootKeyIndex);
  if (!signing) {
    return err('ROOT_NOT_LISTED', `the signing key ${hexByte(manifest.rootKeyIndex)} is not among the root keys`, { field: 'manifest.rootKeyIndex' });
  }
  if (list.rootKeyIndex !== manifest.rootKeyIndex) {
    return err('WRONG_ROOT', `the revocation list is signed by ${hexByte(list.rootKeyIndex)}; the manifest and the A4 share one key`, {
      field: 'revocationList.rootKeyIndex',
      offset: 1,
      details: { manifest: manifest.rootKeyIndex, revocationList: list.rootKeyIndex },
    });
  }
  const publication = new Date(manifest.publicationTime * 1000);
  const expired = rootKeys.findIndex((k) => expiryDay.isExpired(k.expiry, publication));
  if (expired >= 0) {
    return err(Code.ROOT_KEY_EXPIRED, `root key ${hexByte(rootKeys[expired].rootKeyIndex)} expired before the publication time`, {
      field: `rootKeys[${expired}].expiry`,
      details: { validThrough: expiryDay.end(rootKeys[expired].expiry).toISOString(), publication: publication.toISOString() },
    });
  }
  return ok(signing);
}

/** Every root key P lists is listed again with the same key: P's records stay verified under it. */
function sameKeysListed(previous: Bundle, rootKeys: readonly RootKeyRecord[]): boolean {
  return previous.rootKeys.every((p) => rootKeys.some((k) => k.rootKeyIndex === p.rootKeyIndex && equal(k.publicKey.bytes, p.publicKey.bytes)));
}

/** P's records as bytes, without the removed, with the added (the general path, for when P's records cannot be taken as verified). */
function applyChanges(previous: Bundle, changes: CertificateChanges): Uint8Array[] {
  const removed = new Set(changes.removed);
  const layout = bundleLayout(previous.manifest);
  const kept = previous.certificates.flatMap((c, i) => (removed.has(c.certificateNumber) ? [] : [previous.bytes.subarray(layout.a3(i), layout.a3(i) + certificateRecord.length)]));
  return [...kept, ...changes.added];
}

/**
 * A successor of the verified P: its A3 region is P's, copied in runs, with the removed records
 * cut out and the added ones (decoded and, in the check, verified in full) put in place; the
 * decoded records are P's own objects for the unchanged ones. The client's checks then run on
 * that bundle with the unchanged positions known, not found by comparing 10,000 records again.
 */
async function buildSuccessor(
  contents: BundleContents,
  previous: Bundle,
  changes: CertificateChanges,
  { signing, rootKeys, list, a4ToBeSigned }: { signing: RootKeyRecord; rootKeys: readonly RootKeyRecord[]; list: RevocationList; a4ToBeSigned?: Uint8Array },
  sign: BundleSigner,
): Promise<Result<Bundle>> {
  const added: { record: CertificateRecord; bytes: Uint8Array }[] = [];
  for (const [i, bytes] of changes.added.entries()) {
    const c = certificateRecord.decode(bytes);
    if (!c.ok) return { ok: false, error: rebase(c.error, 0, `certificates.added[${i}]`) };
    added.push({ record: c.value, bytes });
  }
  added.sort((a, b) => a.record.certificateNumber - b.record.certificateNumber);
  const removed = [...changes.removed].sort((a, b) => a - b);
  const held = previous.certificates;
  const count = held.length - removed.length + added.length;
  const a2 = rootKeys.map((k) => rootKeyRecord.encode(k));
  const a4 = revocationList.encode(list);
  const a3Start = MANIFEST_RECORD_LENGTH + a2.length * ROOT_KEY_RECORD_LENGTH;
  const bytes = new Uint8Array(a3Start + count * certificateRecord.length + a4.length);
  a2.forEach((record, i) => bytes.set(record, MANIFEST_RECORD_LENGTH + i * ROOT_KEY_RECORD_LENGTH));
  const from = bundleLayout(previous.manifest);
  // The changes are placed by binary search and P's records between them copied as runs (bytes
  // and decoded values alike), so an unchanged record is never looked at: a bundle has 10,000.
  const edits: { at: number; removes: boolean; added?: (typeof added)[number] }[] = [];
  for (const [r, number] of removed.entries()) {
    const at = r > 0 && removed[r - 1] === number ? -1 : positionOf(held, number);
    if (at < 0) return err('VALUE_RANGE', `certificate ${number} is removed but the previous bundle does not list it`, { field: 'certificates.removed', details: { certificateNumber: number } });
    edits.push({ at, removes: true });
  }
  for (const [j, a] of added.entries()) {
    const number = a.record.certificateNumber;
    const at = insertionPoint(held, number);
    const listed = at < held.length && held[at].certificateNumber === number && !removed.includes(number);
    if (listed || (j > 0 && added[j - 1].record.certificateNumber === number)) {
      return err('RECORD_ORDER', `certificate ${number} is added twice, or is already listed`, { field: 'certificates.added', details: { certificateNumber: number } });
    }
    edits.push({ at, removes: false, added: a });
  }
  // At one position: P's record removed first, then the record added in its place.
  edits.sort((x, y) => x.at - y.at || Number(!x.removes) - Number(!y.removes));
  // P's records between the changes are taken as slices, joined by concat (native copies): a loop
  // over 10,000 of them cost about a millisecond in a large heap.
  const runs: CertificateRecord[][] = [];
  const others: number[] = [];
  let i = 0; // in P
  let k = 0; // in the new bundle
  const copyTo = (end: number) => {
    bytes.set(previous.bytes.subarray(from.a3(i), from.a3(end)), a3Start + k * certificateRecord.length);
    runs.push(held.slice(i, end));
    k += end - i;
    i = end;
  };
  for (const edit of edits) {
    copyTo(edit.at);
    if (edit.removes) {
      i++;
    } else {
      bytes.set(edit.added!.bytes, a3Start + k * certificateRecord.length);
      others.push(k++);
      runs.push([edit.added!.record]);
    }
  }
  copyTo(held.length);
  const records = joined(runs);
  const a4Start = a3Start + count * certificateRecord.length;
  bytes.set(a4, a4Start);

  // The body is complete (an unsigned A4's signature last) and is not written again; the check below takes this digest for exactly its range.
  const body = await digestedBody(bytes, a4ToBeSigned && { at: a4Start + a4ToBeSigned.length, signature: signedRevocationList(a4ToBeSigned, sign) });
  if (!body.ok) return body;
  const digested = body.value;
  if (a4ToBeSigned) list = { ...list, rootSignature: bytes.slice(a4Start + a4ToBeSigned.length, a4Start + a4.length) };
  const fields: ManifestFields = { ...contents.manifest, a2Count: a2.length, a3Count: count, revocationSequenceNumber: list.sequenceNumber, bodyDigest: digested.digest };
  const encoded = manifestToBeSigned(fields);
  if (!encoded.ok) return encoded;
  const toBeSigned = encoded.value;
  bytes.set(toBeSigned, 0);
  const ordered = rootKeys.findIndex((key, n) => n > 0 && key.rootKeyIndex === rootKeys[n - 1].rootKeyIndex);
  if (ordered >= 0) return err('RECORD_ORDER', `root key ${hexByte(rootKeys[ordered].rootKeyIndex)} is listed twice`, { field: `rootKeys[${ordered}]` });
  const bundle: Bundle = { manifest: { ...fields, rootSignature: ZERO_SIGNATURE }, rootKeys, certificates: records, revocationList: list, bytes };
  const freshAt = new Set(others);
  const unsigned = checkDecodedBundle(bundle, { ...clientCheck(contents, signing, previous), previous }, { has: (n) => !freshAt.has(n), others }, false, digested);
  if (!unsigned.ok) return unsigned;
  const rootSignature = await signedManifest(toBeSigned, signing, contents, sign);
  if (!rootSignature.ok) return rootSignature;
  bytes.set(rootSignature.value, MANIFEST_SIGNED_LENGTH);
  return { ok: true, value: { ...bundle, manifest: { ...fields, rootSignature: rootSignature.value } } };
}

/**
 * SM3 of the body; with `pending`, the A4's signature the signer is making, which goes at `at`
 * (the body's last 64 bytes): everything before it is hashed while the signer signs. The signer is
 * given a turn of the event loop first, so that its request reaches the HSM before the host hashes.
 */
async function digestedBody(bytes: Uint8Array, pending: { at: number; signature: Promise<Result<Uint8Array>> } | undefined): Promise<Result<DigestedRange>> {
  if (!pending) return ok(digestBody(bytes));
  await new Promise((resolve) => setImmediate(resolve));
  const hasher = sm3Hasher();
  hasher.update(bytes.subarray(MANIFEST_RECORD_LENGTH, pending.at));
  const signature = await pending.signature;
  if (!signature.ok) return signature;
  bytes.set(signature.value, pending.at);
  hasher.update(bytes.subarray(pending.at));
  return ok({ bytes, offset: MANIFEST_RECORD_LENGTH, length: bytes.length - MANIFEST_RECORD_LENGTH, digest: hasher.digest() });
}

/** The signer's r‖s over an A4's to-be-signed bytes; its signature is verified in the client's check, with the trusted key. */
async function signedRevocationList(toBeSigned: Uint8Array, sign: BundleSigner): Promise<Result<Uint8Array>> {
  const signature = await sign(toBeSigned);
  if (!signature.ok) return signature;
  if (!(signature.value instanceof Uint8Array) || signature.value.length !== 64) {
    return err(Code.SIGNATURE_LENGTH, 'the signer must return r‖s, 64 bytes', { field: 'revocationList.rootSignature', offset: toBeSigned.length });
  }
  return ok(signature.value.slice());
}

/** The runs, in order, as one array; concat takes them a bounded number at a time (a call's arguments are). */
function joined<T>(runs: readonly T[][]): T[] {
  let all: T[] = [];
  for (let r = 0; r < runs.length; r += 1024) all = all.concat(...runs.slice(r, r + 1024));
  return all;
}

/** Where a record with this number goes among records strictly ascending by number: the first position with a number not below it. */
function insertionPoint(records: readonly CertificateRecord[], certificateNumber: number): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (records[middle].certificateNumber < certificateNumber) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The A2s parsed (errors name their input position) and sorted by index, and the A4 parsed; an
 * unsigned A4 with a zero signature in its place, and its to-be-signed bytes.
 */
function parseSigned(contents: BundleContents): Result<{ rootKeys: RootKeyRecord[]; list: RevocationList; a4ToBeSigned?: Uint8Array }> {
  const rootKeys: RootKeyRecord[] = [];
  for (const [i, input] of contents.rootKeys.entries()) {
    const r = parseInput<RootKeyRecord>(input, rootKeyRecord);
    if (!r.ok) return { ok: false, error: rebase(r.error, 0, `rootKeys[${i}]`) };
    rootKeys.push(r.value);
  }
  const given = contents.revocationList;
  const list = parseInput(isUnsigned(given) ? { ...given.unsigned, rootSignature: ZERO_SIGNATURE } : given, revocationList);
  if (!list.ok) return { ok: false, error: rebase(list.error, 0, 'revocationList') };
  rootKeys.sort((a, b) => a.rootKeyIndex - b.rootKeyIndex);
  return { ok: true, value: { rootKeys, list: list.value, a4ToBeSigned: isUnsigned(given) ? revocationList.toBeSigned(list.value) : undefined } };
}

/** Each A3 parsed (errors name its input position; those known from the predecessor are taken as decoded), sorted by number, each with its bytes. */
function parseCertificates(inputs: readonly (Uint8Array | CertificateRecord)[], known: KnownCertificates | undefined): Result<{ record: CertificateRecord; bytes: Uint8Array }[]> {
  const certificates: { record: CertificateRecord; bytes: Uint8Array }[] = [];
  for (const [i, input] of inputs.entries()) {
    const same = input instanceof Uint8Array ? known?.(input) : undefined;
    const c = same ? ok(same) : parseInput(input, certificateRecord);
    if (!c.ok) return { ok: false, error: rebase(c.error, 0, `certificates[${i}]`) };
    certificates.push({ record: c.value, bytes: input instanceof Uint8Array ? input : certificateRecord.encode(c.value) });
  }
  certificates.sort((a, b) => a.record.certificateNumber - b.record.certificateNumber);
  return ok(certificates);
}
