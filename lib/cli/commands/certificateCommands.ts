/** `tqca cert list|show|revoke`: issued certificates as the CA holds them (decode and verify need no CA). */
import { REVOCATION_REASONS } from '../../codec';
import { expiringCertificates, EXPIRY_WARNING_DAYS, listAllocations, listCertificates, revokeCertificate, showCertificate, type AllocationState, type CertificateStatus } from '../../ca';
import { defineCommand, positional, requiredValue, value } from '../command';
import { uint32Input } from '../inputs';
import { answer, asOperator, choiceInput, idInput, listing, READ_ONLY } from './caSession';
import { certificateText } from './requestCommands';

const STATUSES = ['ACTIVE', 'REVOKED', 'EXPIRED'] as const satisfies readonly CertificateStatus[];
const numberPositional = positional('<number>', 'certificate number, 8 hex digits', uint32Input('number'));

export const list = defineCommand({
  description: `Lists issued certificates; EXPIRED is derived from the MMYY at the time of the run.
With --expiring, lists the certificates whose validity ends within that many days, each with its
warning tier (90, 30 or 7 days): the active ones, or those --issuer and --status select.`,
  options: {
    issuer: value('<issuer>', 'issuer id, 8 hex digits', uint32Input('issuer')),
    status: value('<status>', STATUSES.join(' | '), choiceInput('status', STATUSES)),
    expiring: value('<days>', `days ahead, e.g. ${EXPIRY_WARNING_DAYS.join(', ')}`, idInput('expiring')),
  },
  positionals: {},
  run: ({ options }) =>
    asOperator(async (ca) => {
      const filter = { issuerId: options.issuer, status: options.status };
      return options.expiring !== undefined
        ? listing(await expiringCertificates(ca, ca.now(), options.expiring, filter), 'warnings', [
            ['number', (w) => w.certificate.number],
            ['issuer', (w) => w.certificate.issuerId],
            ['expiry', (w) => w.certificate.expiry],
            ['days left', (w) => w.daysLeft],
            ['tier', (w) => w.tier],
          ])
        : listing(await listCertificates(ca, filter), 'certificates', [
            ['number', (c) => c.number],
            ['issuer', (c) => c.issuerId],
            ['serial', (c) => c.serial],
            ['expiry', (c) => c.expiry],
            ['status', (c) => c.status],
            ['root', (c) => c.rootKeyIndex],
            ['reason', (c) => c.revocationReason],
          ]);
    }, READ_ONLY),
});

const ALLOCATION_STATES = ['RESERVED', 'ISSUED', 'FAILED'] as const satisfies readonly AllocationState[];

export const numbers = defineCommand({
  description: `Lists the certificate numbers handed out: ISSUED, FAILED with the reason, or RESERVED
(being issued). "signed" is the 106 bytes the HSM signed under the number, kept whether or not they
became a certificate, so every signature of a root key is accounted for.`,
  options: { state: value('<state>', ALLOCATION_STATES.join(' | '), choiceInput('state', ALLOCATION_STATES)) },
  positionals: {},
  run: ({ options }) =>
    asOperator(async (ca) =>
      listing(await listAllocations(ca, { state: options.state }), 'numbers', [
        ['number', (a) => a.number],
        ['state', (a) => a.state],
        ['request', (a) => a.requestId],
        ['root', (a) => a.rootKeyIndex],
        ['failure', (a) => a.failure?.code],
        ['signed', (a) => a.signed],
      ]),
    ),
});

export const show = defineCommand({
  description: 'Shows one issued certificate with its 106 bytes.',
  options: {},
  positionals: { number: numberPositional },
  run: ({ positionals }) => asOperator(async (ca) => answer(await showCertificate(ca, positionals.number), 'certificate', certificateText), READ_ONLY),
});

export const revoke = defineCommand({
  description: 'Revokes a certificate with a profile reason (A4 codes 01 keyCompromise, 02 superseded, 03 issuerWithdrawn).',
  options: { reason: requiredValue('<reason>', REVOCATION_REASONS.join(' | '), choiceInput('reason', REVOCATION_REASONS)) },
  positionals: { number: numberPositional },
  run: ({ options, positionals }) =>
    asOperator(async (ca, operator) => answer(await revokeCertificate(ca, operator, positionals.number, options.reason), 'certificate', certificateText)),
});
