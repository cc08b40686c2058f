/**
 * Bundle material for the tests: the §12 worked example, software-key record signers, and a raw
 * assembler that signs any manifest ‖ body without the builder's checks (to make the bundles a
 * client must reject). Not used by production code.
 */
import { concat, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import vector from '../../test/support/vectors/tq-bundle-example.json';
import { bodyDigest } from './bundle';
import { issuerCertificate } from './issuerCertificate';
import { manifestRecord, type ManifestFields } from './manifestRecord';
import { revocationList, type RevocationEntry } from './revocationList';
import { rootKeyRecord } from './rootKeyRecord';
import { hex, issuerKeys, rootKeys, signCertificate, signCertificateRecord, signRevocationList, type KeyPair } from './testSupport';
import type { TrustedRoot } from './trustedRoot';

export { vector };

export const unix = (iso: string): number => Date.parse(iso) / 1000;
export const at = (seconds: number): Date => new Date(seconds * 1000);

export const v1 = hex(vector.v1.bundle);
export const v2 = hex(vector.v2.bundle);
export const delta12 = hex(vector.delta_1_2.delta);
export const V1_PUBLISHED = unix('2026-12-01T00:00:00Z');
export const V2_PUBLISHED = unix('2026-12-02T00:00:00Z');
export const exampleTrust: readonly TrustedRoot[] = [{ rootKeyIndex: 1, publicKey: rootKeys.publicKey }];

export function a2(key: KeyPair, rootKeyIndex: number, clearingCenterId = 1, expiry = { year: 2030, month: 12, day: 31 }): Uint8Array {
  return rootKeyRecord.encode({ clearingCenterId, rootKeyIndex, publicKey: key.publicKey, expiry });
}

export interface A3Options {
  readonly root: KeyPair;
  readonly rootKeyIndex: number;
  readonly certificateNumber: number;
  readonly issuerId?: number;
  readonly serial?: number;
  readonly expiry?: { year: number; month: number };
  readonly issueTime?: number;
  /** Signs the inner certificate with another key (a certificate not under the record's root). */
  readonly certificateSigner?: KeyPair;
}

const made = new Map<string, Uint8Array>();

/** SM2 signatures are randomised, and a test's "same record" must be the same bytes: signed once per input. */
function once(input: unknown, sign: () => Uint8Array): Uint8Array {
  const key = JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? v.toString(16) : v));
  let record = made.get(key);
  if (!record) made.set(key, (record = sign()));
  return record.slice();
}

export const a3 = (o: A3Options): Uint8Array => once(['a3', o], () => signA3(o));

function signA3(o: A3Options): Uint8Array {
  const keyData = { expiry: o.expiry ?? { year: 2027, month: 12 }, serial: o.serial ?? o.certificateNumber, publicKey: issuerKeys.publicKey };
  const signer = o.certificateSigner ?? o.root;
  const certificate = unwrap(issuerCertificate.decode(once(['certificate', keyData, signer.d], () => signCertificate(keyData, signer))));
  return signCertificateRecord(
    { rootKeyIndex: o.rootKeyIndex, certificateNumber: o.certificateNumber, issuerId: o.issuerId ?? 0x1001, certificate, issueTime: o.issueTime ?? unix('2026-11-01T00:00:00Z') },
    o.root,
  );
}

export function a4(root: KeyPair, rootKeyIndex: number, sequenceNumber: number, thisUpdate: number, nextUpdate: number, entries: RevocationEntry[] = []): Uint8Array {
  const fields = { rootKeyIndex, sequenceNumber, thisUpdate, nextUpdate, entries };
  return once(['a4', root.d, fields], () => signRevocationList(fields, root));
}

export interface RawBundle {
  readonly a2: readonly Uint8Array[];
  readonly a3: readonly Uint8Array[];
  readonly a4: Uint8Array;
  /** Overrides of the fields derived from the body (counts, sequence, digest) or chosen (times, version). */
  readonly manifest?: Partial<ManifestFields>;
  readonly trailing?: Uint8Array;
}

/** manifest ‖ body, signed by `signer`, with no check at all. */
export function assembleBundle(raw: RawBundle, signer: KeyPair = rootKeys): Uint8Array {
  const body = concat(...raw.a2, ...raw.a3, raw.a4, raw.trailing ?? new Uint8Array());
  const list = unwrap(revocationList.decode(raw.a4));
  const fields: ManifestFields = {
    rootKeyIndex: 1,
    clearingCenterId: 1,
    version: 1,
    publicationTime: list.thisUpdate,
    expires: list.nextUpdate,
    a2Count: raw.a2.length,
    a3Count: raw.a3.length,
    revocationSequenceNumber: list.sequenceNumber,
    bodyDigest: bodyDigest(body),
    ...raw.manifest,
  };
  const signed = manifestRecord.toBeSigned(fields);
  return concat(signed, sm2.sign(signed, signer.d), body);
}
