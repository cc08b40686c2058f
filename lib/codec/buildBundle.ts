/**
 * Bundle builder (TQ-CERT-1 §12.2), for the publication pipeline: given the records and the
 * manifest fields, it orders the body (A2 by index, A3 by certificate number), computes the
 * counts, the A4 sequence and SM3 of the body, runs every client check but the manifest
 * signature on the result, and only then asks `sign` (the HSM, in production) for the manifest
 * signature, which it verifies before returning the bundle. So what it returns has passed every
 * check of verifyBundle (under the signing A2, at the publication time, against `previous`), and a
 * bundle a client would reject is never emitted; the A3 signatures are checked once, not twice.
 */
import { concat } from '../bytes';
import { Code, err, ok, TqException, type Result } from '../errors';
import { bodyDigest, decodeBundle, knownCertificates, type Bundle, type KnownCertificates } from './bundle';
import { certificateRecord, type CertificateRecord } from './certificateRecord';
import { expiryDay } from './expiry';
import { manifestRecord, MANIFEST_SIGNED_LENGTH, type ManifestFields } from './manifestRecord';
import { revocationList, type RevocationList } from './revocationList';
import { rootKeyRecord, type RootKeyRecord } from './rootKeyRecord';
import { hexByte, parseInput, rebase } from './structure';
import type { TrustedRoot } from './trustedRoot';
import { verifySignature } from './verificationKey';
import { checkBundle, type BundleVerificationInput } from './verifyBundle';

/** The manifest fields the publisher chooses; counts, A4 sequence and body digest are derived. */
export type BundleManifestInput = Pick<ManifestFields, 'rootKeyIndex' | 'clearingCenterId' | 'version' | 'publicationTime' | 'expires'>;

export interface BundleContents {
  readonly manifest: BundleManifestInput;
  /** Every root key a terminal may need, the signing key's included; any order. */
  readonly rootKeys: readonly (Uint8Array | RootKeyRecord)[];
  /** Every valid certificate record; any order. */
  readonly certificates: readonly (Uint8Array | CertificateRecord)[];
  /** Signed by the manifest's signing key. */
  readonly revocationList: Uint8Array | RevocationList;
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

/** Signs the 58 manifest bytes with the signing root key: r‖s (64 bytes), or the signer's own error. */
export type BundleSigner = (message: Uint8Array) => Promise<Result<Uint8Array>>;

const ZERO_SIGNATURE = new Uint8Array(64);

export async function buildBundle(contents: BundleContents, sign: BundleSigner): Promise<Result<Bundle>> {
  const held = contents.previous instanceof Uint8Array ? decodeBundle(contents.previous) : ok(contents.previous);
  if (!held.ok) return { ok: false, error: rebase(held.error, 0, 'previous') };
  const parsed = parseContents(contents, held.value && knownCertificates(held.value));
  if (!parsed.ok) return parsed;
  const { rootKeys, certificates, list } = parsed.value;
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

  const body = concat(
    ...rootKeys.map((k) => rootKeyRecord.encode(k)),
    ...certificates.map((c) => c.bytes),
    revocationList.encode(list),
  );
  const fields: ManifestFields = {
    ...manifest,
    a2Count: rootKeys.length,
    a3Count: certificates.length,
    revocationSequenceNumber: list.sequenceNumber,
    bodyDigest: bodyDigest(body),
  };
  let toBeSigned: Uint8Array;
  try {
    toBeSigned = manifestRecord.toBeSigned(fields);
  } catch (e) {
    if (e instanceof TqException) return { ok: false, error: rebase(e.error, 0, 'manifest') };
    throw e;
  }
  const check: Omit<BundleVerificationInput, 'bundle'> = {
    trustedRoots: contents.trustedRoots ?? [{ rootKeyIndex: signing.rootKeyIndex, publicKey: signing.publicKey }],
    previous: held.value,
    previousVerified: contents.previousVerified,
    centerId: manifest.clearingCenterId,
    now: publication,
    skewSeconds: 0,
  };
  const unsigned = checkBundle({ ...check, bundle: concat(toBeSigned, ZERO_SIGNATURE, body) }, false);
  if (!unsigned.ok) return unsigned;

  const signature = await sign(toBeSigned);
  if (!signature.ok) return signature;
  if (!(signature.value instanceof Uint8Array) || signature.value.length !== 64) {
    return err(Code.SIGNATURE_LENGTH, 'the signer must return r‖s, 64 bytes', { field: 'manifest.rootSignature', offset: toBeSigned.length });
  }
  // Checks 1 and 3–7 passed on these very bytes; the signature is all that is new.
  const rootSignature = signature.value.slice();
  if (!verifySignature(signing.publicKey, toBeSigned, rootSignature)) {
    return err('SIGNATURE_INVALID', `the signer's signature does not verify with root key ${hexByte(signing.rootKeyIndex)}`, {
      field: 'manifest.rootSignature',
      offset: MANIFEST_SIGNED_LENGTH,
    });
  }
  const checked = unsigned.value.bundle;
  return { ok: true, value: { ...checked, manifest: { ...checked.manifest, rootSignature }, bytes: concat(toBeSigned, rootSignature, body) } };
}

interface ParsedContents {
  readonly rootKeys: readonly RootKeyRecord[];
  /** Each A3 with its bytes (as given, or encoded). */
  readonly certificates: readonly { readonly record: CertificateRecord; readonly bytes: Uint8Array }[];
  readonly list: RevocationList;
}

/** Each record parsed (errors name its input position; A3s known from the predecessor are taken as decoded), A2 sorted by index, A3 by number. */
function parseContents(contents: BundleContents, known: KnownCertificates | undefined): Result<ParsedContents> {
  const rootKeys: RootKeyRecord[] = [];
  for (const [i, input] of contents.rootKeys.entries()) {
    const r = parseInput<RootKeyRecord>(input, rootKeyRecord);
    if (!r.ok) return { ok: false, error: rebase(r.error, 0, `rootKeys[${i}]`) };
    rootKeys.push(r.value);
  }
  const certificates: { record: CertificateRecord; bytes: Uint8Array }[] = [];
  for (const [i, input] of contents.certificates.entries()) {
    const same = input instanceof Uint8Array ? known?.(input) : undefined;
    const c = same ? ok(same) : parseInput(input, certificateRecord);
    if (!c.ok) return { ok: false, error: rebase(c.error, 0, `certificates[${i}]`) };
    certificates.push({ record: c.value, bytes: input instanceof Uint8Array ? input : certificateRecord.encode(c.value) });
  }
  const list = parseInput(contents.revocationList, revocationList);
  if (!list.ok) return { ok: false, error: rebase(list.error, 0, 'revocationList') };
  rootKeys.sort((a, b) => a.rootKeyIndex - b.rootKeyIndex);
  certificates.sort((a, b) => a.record.certificateNumber - b.record.certificateNumber);
  return { ok: true, value: { rootKeys, certificates, list: list.value } };
}
