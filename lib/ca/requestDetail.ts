/**
 * A request as the reviewing officer sees it: the stored A1 record decoded field by field, its
 * proof of possession verified again from the stored bytes, and the §8 checks it passed. A request
 * is stored only when every submission check passes (lib/ca/requests.ts submitRequest), so each
 * check's outcome is "passed at submission"; the proof of possession is re-verified now.
 */
import { toHex } from '../bytes';
import { verifyProofOfPossession } from '../codec';
import { err, ok, type Result } from '../errors';
import { SUBMISSION_CHECKS } from './requestChecks';
import { decodeStoredRequest, showRequest, type RequestView } from './requests';
import type { CaServices } from './services';
import { formatExpiryMonth } from './validity';

export interface DecodedRequestRecord {
  readonly issuerId: string;
  readonly serial: number;
  readonly expiry: string;
  readonly publicKeyX: string;
  readonly publicKeyY: string;
  readonly challenge: string;
  /** The issuer's clock at signing, ISO. */
  readonly requestTime: string;
  readonly proofOfPossession: string;
  /** The 161 bytes, hex. */
  readonly bytes: string;
}

export type SubmissionCheck = keyof typeof SUBMISSION_CHECKS;

export interface RequestDetail {
  readonly request: RequestView;
  readonly record: DecodedRequestRecord;
  readonly proofOfPossessionValid: boolean;
  /** In the order §8 lists them; each passed when the request was stored. */
  readonly submissionChecks: readonly SubmissionCheck[];
}

export async function requestDetail(ca: CaServices, requestId: number): Promise<Result<RequestDetail>> {
  const request = await showRequest(ca, requestId);
  if (!request.ok) return request;
  const row = await ca.prisma.certificateRequest.findUnique({ where: { id: requestId }, select: { a1Record: true } });
  if (!row) return err('REQUEST_UNKNOWN', `no request ${requestId}`, { field: 'requestId' });
  const a1 = decodeStoredRequest(row.a1Record);
  const key = a1.publicKey.bytes;
  return ok({
    request: request.value,
    record: {
      issuerId: a1.issuerId.toString(16).toUpperCase().padStart(8, '0'),
      serial: a1.serial,
      expiry: formatExpiryMonth(a1.expiry),
      publicKeyX: toHex(key.subarray(0, 32)),
      publicKeyY: toHex(key.subarray(32, 64)),
      challenge: toHex(a1.challenge),
      requestTime: new Date(a1.requestTime * 1000).toISOString(),
      proofOfPossession: toHex(a1.proofOfPossession),
      bytes: toHex(row.a1Record),
    },
    proofOfPossessionValid: verifyProofOfPossession(a1).ok,
    submissionChecks: Object.keys(SUBMISSION_CHECKS) as SubmissionCheck[],
  });
}
