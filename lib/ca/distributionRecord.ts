/**
 * The A3 distribution record of a certificate (TQ-CERT-1 §9): a second signature by the root key
 * that signed the certificate, binding its number and issuer id to it. Signed once — at issuance,
 * or by the first publication that lists a certificate issued before A3 records were kept — and
 * verified as a bundle client verifies it (both signatures) before anyone stores it.
 */
import { certificateRecord, verifyCertificateRecord, type IssuerCertificate } from '../codec';
import { sm2 } from '../crypto/sm2';
import { TqException, type Result } from '../errors';
import type { CaKeys } from './keys';

export interface DistributionRecordInput {
  readonly certificateNumber: number;
  readonly issuerId: number;
  readonly certificate: IssuerCertificate;
  /** Carried to the second (Unix seconds). */
  readonly issuedAt: Date;
}

export interface SigningRootKey {
  readonly index: number;
  readonly hsmKeyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The 184-byte A3 record, signed in the HSM and verified on the host. */
export async function signDistributionRecord(keys: CaKeys, rootKey: SigningRootKey, input: DistributionRecordInput): Promise<Result<Uint8Array>> {
  try {
    const fields = {
      rootKeyIndex: rootKey.index,
      certificateNumber: input.certificateNumber,
      issuerId: input.issuerId,
      certificate: input.certificate,
      issueTime: Math.floor(input.issuedAt.getTime() / 1000),
    };
    const signature = await keys.sign({ id: rootKey.hsmKeyId }, certificateRecord.toBeSigned(fields));
    if (!signature.ok) return signature;
    const record = certificateRecord.encode({ ...fields, rootSignature: signature.value });
    const publicKey = sm2.publicKeyFromBytes(rootKey.publicKey);
    if (!publicKey.ok) return publicKey;
    const verified = verifyCertificateRecord(record, { rootKeyIndex: rootKey.index, publicKey: publicKey.value });
    return verified.ok ? { ok: true, value: record } : verified;
  } catch (thrown) {
    if (thrown instanceof TqException) return { ok: false, error: thrown.error };
    throw thrown;
  }
}
