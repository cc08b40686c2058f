/** `tqca request …`: each command is one call of lib/ca/requests (and issuance) as the authenticated operator. */
import {
  approveRequest,
  approveRetarget,
  issueCertificate,
  issueChallenge,
  listRequests,
  rejectRequest,
  requestRetarget,
  reviewRequest,
  showRequest,
  submitRequest,
  type CertificateView,
  type RequestState,
  type RequestView,
  type RetargetView,
} from '../../ca';
import { defineCommand, invalid, positional, requiredValue, valid, value } from '../command';
import { MAX_INPUT_BYTES, bytesInput, uint32Input } from '../inputs';
import { answer, asOperator, choiceInput, details, idPositional, listing, READ_ONLY, rootKeyIndexInput } from './caSession';

const requestText = (r: RequestView) =>
  details({
    request: r.id,
    issuer: r.issuerId,
    state: r.state,
    serial: r.serial,
    expiry: r.expiry,
    fingerprint: r.fingerprint,
    reviewedBy: r.reviewedBy,
    approvedBy: r.approvedBy,
    rootKeyIndex: r.rootKeyIndex,
    certificateNumber: r.certificateNumber,
    rejection: r.rejection && `${r.rejection.code}: ${r.rejection.reason}`,
  });

export const certificateText = (c: CertificateView) =>
  details({ number: c.number, issuer: c.issuerId, serial: c.serial, expiry: c.expiry, status: c.status, rootKeyIndex: c.rootKeyIndex, certificate: c.certificate });

const STATES = ['SUBMITTED', 'APPROVED', 'ISSUED', 'REJECTED', 'EXPIRED'] as const satisfies readonly RequestState[];
const requestId = idPositional('<request>', 'request id');

export const challenge = defineCommand({
  description: 'Issues a fresh 16-byte challenge to an issuer; it goes into bytes 77–92 of the A1 record and is valid 24 hours, once.',
  options: {},
  positionals: { issuer: positional('<issuer>', 'issuer id, 8 hex digits', uint32Input('issuer')) },
  run: ({ positionals }) =>
    asOperator(async (ca, operator) => answer(await issueChallenge(ca, operator, positionals.issuer), 'challenge', (c) => details({ ...c }))),
});

export const submit = defineCommand({
  description: 'Submits an A1 record (161 bytes). Every check of TQ-CERT-1 §8 runs; the first failure is reported with its code.',
  options: {},
  positionals: { record: positional('<a1>', 'the A1 record: hex, @path or -', bytesInput('a1', MAX_INPUT_BYTES.a1)) },
  run: ({ positionals }) => asOperator(async (ca, operator) => answer(await submitRequest(ca, operator, positionals.record), 'request', requestText)),
});

export const review = defineCommand({
  description: `Records the review: --fingerprint is what the issuer's officer read to you out of band
(SM3(X‖Y)[0..7], 16 hex digits); it must match the requested key.`,
  options: { fingerprint: requiredValue('<hex>', 'the fingerprint confirmed by the issuer', (text) => ({ ok: true, value: text })) },
  positionals: { request: requestId },
  run: ({ options, positionals }) =>
    asOperator(async (ca, operator) => answer(await reviewRequest(ca, operator, positionals.request, options.fingerprint), 'request', requestText)),
});

export const approve = defineCommand({
  description: `Approves a reviewed request (the approver is never the reviewer) and issues its certificate,
signed in the HSM with --root-key and re-verified before it is stored.`,
  options: { rootKey: requiredValue('<index>', 'the active root key that signs, two hex digits', rootKeyIndexInput('rootKey')) },
  positionals: { request: requestId },
  run: ({ options, positionals }) =>
    asOperator(async (ca, operator) => {
      const approved = await approveRequest(ca, operator, positionals.request, options.rootKey);
      if (!approved.ok) return invalid(approved.error);
      const issued = await issueCertificate(ca, operator, positionals.request);
      if (!issued.ok) return invalid(issued.error, { request: approved.value as never });
      return { ...valid({ request: approved.value as never, certificate: issued.value as never }), text: certificateText(issued.value) };
    }),
});

export const issue = defineCommand({
  description: `Issues the certificate of an APPROVED request: after an HSM or storage failure, or after a
crash (the failed number stays recorded; the request gets a new one). Under TQCA_HSM_QUORUM, K
officers first activate signing at the terminal for this run.`,
  options: {},
  positionals: { request: requestId },
  run: ({ positionals }) =>
    asOperator(async (ca, operator) => answer(await issueCertificate(ca, operator, positionals.request), 'certificate', certificateText), { signs: true }),
});

const retargetText = (r: RetargetView) =>
  details({
    retarget: r.id,
    request: r.requestId,
    status: r.status,
    from: r.fromRootKeyIndex,
    to: r.toRootKeyIndex,
    reason: r.reason,
    requestedBy: r.requestedBy,
    approvedBy: r.approvedBy,
    failure: r.failure && `${r.failure.code}: ${r.failure.reason}`,
  });

export const retarget = defineCommand({
  description: `Asks to move an APPROVED request whose root key was retired or expired to another active
root key (--root-key), with a reason. A second officer approves with \`request retarget-approve\`.`,
  options: {
    rootKey: requiredValue('<index>', 'the active root key that is to sign, two hex digits', rootKeyIndexInput('rootKey')),
    reason: requiredValue('<text>', 'why', (text) => ({ ok: true, value: text })),
  },
  positionals: { request: requestId },
  run: ({ options, positionals }) =>
    asOperator(async (ca, operator) =>
      answer(await requestRetarget(ca, operator, positionals.request, options.rootKey, options.reason), 'retarget', retargetText),
    ),
});

export const retargetApprove = defineCommand({
  description: `Approves a re-target (not its requester): every issuance check runs again against the new
root key; a failing one ends the re-target FAILED. Then issue with \`request issue\`.`,
  options: {},
  positionals: { retarget: idPositional('<retarget>', 're-target id') },
  run: ({ positionals }) => asOperator(async (ca, operator) => answer(await approveRetarget(ca, operator, positionals.retarget), 'retarget', retargetText)),
});

export const reject = defineCommand({
  description: 'Rejects a request that is not issued yet, with a reason for the issuer.',
  options: { reason: requiredValue('<text>', 'why', (text) => ({ ok: true, value: text })) },
  positionals: { request: requestId },
  run: ({ options, positionals }) =>
    asOperator(async (ca, operator) => answer(await rejectRequest(ca, operator, positionals.request, options.reason), 'request', requestText)),
});

export const list = defineCommand({
  description: 'Lists requests, optionally only those in one state or of one issuer.',
  options: {
    state: value('<state>', STATES.join(' | '), choiceInput('state', STATES)),
    issuer: value('<issuer>', 'issuer id, 8 hex digits', uint32Input('issuer')),
  },
  positionals: {},
  run: ({ options }) =>
    asOperator(
      async (ca) =>
        listing(await listRequests(ca, { state: options.state, issuerId: options.issuer }), 'requests', [
          ['request', (r) => r.id],
          ['issuer', (r) => r.issuerId],
          ['state', (r) => r.state],
          ['serial', (r) => r.serial],
          ['expiry', (r) => r.expiry],
          ['fingerprint', (r) => r.fingerprint],
          ['certificate', (r) => r.certificateNumber],
        ]),
      READ_ONLY,
    ),
});

export const show = defineCommand({
  description: 'Shows one request with its review data, including the key fingerprint for out-of-band confirmation.',
  options: {},
  positionals: { request: requestId },
  run: ({ positionals }) => asOperator(async (ca) => answer(await showRequest(ca, positionals.request), 'request', requestText), READ_ONLY),
});
