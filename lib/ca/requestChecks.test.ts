import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import {
  checkBeforeIssuance,
  checkSubmission,
  keyFingerprint,
  type ChallengeState,
  type KeyUse,
  type RequestLookup,
} from './requestChecks';
import { expiryMonth, requestRecord, type RequestRecord, type RequestRecordFields } from '../codec';

const NOW = new Date('2026-11-24T05:00:00Z');
const ISSUER = 0x1001;
const CHALLENGE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function evenYKey(): { d: Uint8Array; pub: Sm2PublicKey } {
  for (;;) {
    const d = sm2.generatePrivateKey();
    const pub = sm2.publicKeyFromPrivate(d);
    if ((pub.y & 1n) === 0n) return { d, pub };
  }
}

const { d: ISSUER_D, pub: ISSUER_KEY } = evenYKey();

function request(overrides: Partial<RequestRecordFields> = {}, signWith = ISSUER_D, signed?: Uint8Array): RequestRecord {
  const fields: RequestRecordFields = {
    issuerId: ISSUER,
    serial: 7,
    expiry: { year: 2027, month: 12 },
    publicKey: ISSUER_KEY,
    challenge: CHALLENGE,
    requestTime: Math.floor(NOW.getTime() / 1000) - 60,
    ...overrides,
  };
  return { ...fields, proofOfPossession: sm2.sign(signed ?? requestRecord.toBeSigned(fields), signWith) };
}

interface Facts {
  issuerStatus: string | null;
  challenge: ChallengeState | null;
  keyUse: KeyUse;
  serialUsed: boolean;
  active: number;
  rootValidThrough: Date | null;
}

const goodFacts = (): Facts => ({
  issuerStatus: 'ACTIVE',
  challenge: { issuerId: ISSUER, issuedAt: new Date(NOW.getTime() - 3_600_000), expiresAt: new Date(NOW.getTime() + 20 * 3_600_000), usedAt: null },
  keyUse: { isRootKey: false, certifiedFor: null, requestedBy: [] },
  serialUsed: false,
  active: 0,
  rootValidThrough: new Date('2030-12-31T15:59:59.999Z'),
});

function lookupOf(facts: Facts): RequestLookup {
  return {
    issuerStatus: async () => facts.issuerStatus,
    challenge: async () => facts.challenge,
    keyUse: async () => facts.keyUse,
    serialUsed: async () => facts.serialUsed,
    activeCertificateCount: async () => facts.active,
    rootKeyValidThrough: async () => facts.rootValidThrough,
  };
}

async function submit(req: RequestRecord, change: (f: Facts) => void = () => {}, now = NOW) {
  const facts = goodFacts();
  change(facts);
  return checkSubmission({ request: req, lookup: lookupOf(facts), now });
}

describe('§8 request checks', () => {
  it('accepts a well-formed request', async () => {
    expect(await submit(request())).toBeNull();
  });

  const rejections: Array<[string, string, () => RequestRecord, (f: Facts) => void, Date?]> = [
    ['ISSUER_UNKNOWN', 'issuerId', request, (f) => (f.issuerStatus = null)],
    ['ISSUER_NOT_ACTIVE', 'issuerId', request, (f) => (f.issuerStatus = 'SUSPENDED')],
    ['CHALLENGE_UNKNOWN', 'challenge', request, (f) => (f.challenge = null)],
    ['CHALLENGE_ISSUER_MISMATCH', 'challenge', request, (f) => (f.challenge = { ...f.challenge!, issuerId: ISSUER + 1 })],
    ['CHALLENGE_USED', 'challenge', request, (f) => (f.challenge = { ...f.challenge!, usedAt: new Date(NOW.getTime() - 1000) })],
    ['CHALLENGE_EXPIRED', 'challenge', request, (f) => (f.challenge = { ...f.challenge!, expiresAt: new Date(NOW.getTime() - 1) })],
    ['REQUEST_TIME_INVALID', 'requestTime', () => request({ requestTime: Math.floor(NOW.getTime() / 1000) + 3600 }), () => {}],
    ['REQUEST_TIME_INVALID', 'requestTime', () => request({ requestTime: Math.floor(NOW.getTime() / 1000) - 3 * 3600 }), () => {}],
    ['KEY_IS_ROOT_KEY', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, isRootKey: true })],
    ['KEY_REVOKED', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, certifiedFor: { issuerId: ISSUER, revoked: true } })],
    ['KEY_HELD_BY_OTHER_ISSUER', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, certifiedFor: { issuerId: 9, revoked: false } })],
    ['KEY_HELD_BY_OTHER_ISSUER', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, requestedBy: [9] })],
    ['KEY_ALREADY_CERTIFIED', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, certifiedFor: { issuerId: ISSUER, revoked: false } })],
    ['KEY_ALREADY_REQUESTED', 'publicKey', request, (f) => (f.keyUse = { ...f.keyUse, requestedBy: [ISSUER] })],
    ['POP_INVALID', 'proofOfPossession', () => request({}, evenYKey().d), () => {}],
    ['POP_INVALID', 'proofOfPossession', () => request({}, ISSUER_D, Uint8Array.of(0xa1)), () => {}],
    ['POP_INVALID', 'proofOfPossession', () => ({ ...request(), serial: 8 }), () => {}],
    ['SERIAL_USED', 'serial', request, (f) => (f.serialUsed = true)],
    ['EXPIRY_TOO_SOON', 'expiry', () => request({ expiry: { year: 2026, month: 11 } }), () => {}],
    ['EXPIRY_TOO_FAR', 'expiry', () => request({ expiry: { year: 2029, month: 12 } }), () => {}],
    ['EXPIRY_BEYOND_ROOT_KEY', 'expiry', request, (f) => (f.rootValidThrough = expiryMonth.end({ year: 2027, month: 11 }))],
    ['ROOT_KEY_NONE_ACTIVE', undefined as unknown as string, request, (f) => (f.rootValidThrough = null)],
    ['ACTIVE_CERTIFICATE_CAP', 'issuerId', request, (f) => (f.active = 4)],
  ];

  it.each(rejections)('rejects with %s (field %s)', async (code, field, build, change) => {
    const failure = await submit(build(), change);
    expect(failure?.code).toBe(code);
    expect(failure?.field).toBe(field);
  });

  it('accepts expiry next month and exactly 36 months ahead, and up to the root key’s last day', async () => {
    expect(await submit(request({ expiry: { year: 2026, month: 12 } }))).toBeNull();
    expect(await submit(request({ expiry: { year: 2029, month: 11 } }))).toBeNull();
    expect(await submit(request(), (f) => (f.rootValidThrough = expiryMonth.end({ year: 2027, month: 12 })))).toBeNull();
  });

  it('uses the CST month: 16:00 UTC on the last day is already next month in China', async () => {
    // 2026-11-30T16:00Z is 2026-12-01 00:00 CST, so December is no longer "next month".
    const late = new Date('2026-11-30T16:00:00Z');
    const facts = (f: Facts) => (f.challenge = { ...f.challenge!, expiresAt: new Date(late.getTime() + 1000) });
    const failure = await submit(request({ expiry: { year: 2026, month: 12 }, requestTime: Math.floor(late.getTime() / 1000) }), facts, late);
    expect(failure?.code).toBe('EXPIRY_TOO_SOON');
  });

  it('reports the first failure in profile order', async () => {
    const failure = await submit(request({}, evenYKey().d), (f) => {
      f.serialUsed = true;
      f.issuerStatus = 'WITHDRAWN';
    });
    expect(failure?.code).toBe('ISSUER_NOT_ACTIVE');
  });

  it('honours a configured cap', async () => {
    const facts = goodFacts();
    facts.active = 1;
    const policy = { activeCertificateCap: 1, maximumValidityMonths: 36, clockSkewSeconds: 300 };
    const failure = await checkSubmission({ request: request(), lookup: lookupOf(facts), now: NOW, policy });
    expect(failure?.code).toBe('ACTIVE_CERTIFICATE_CAP');
  });

  it('re-checks state before issuance but not the consumed challenge', async () => {
    const facts = goodFacts();
    facts.challenge = { ...facts.challenge!, usedAt: NOW };
    expect(await checkBeforeIssuance({ request: request(), lookup: lookupOf(facts), now: NOW })).toBeNull();
    facts.serialUsed = true;
    expect((await checkBeforeIssuance({ request: request(), lookup: lookupOf(facts), now: NOW }))?.code).toBe('SERIAL_USED');
  });

  it('fingerprints the key as SM3(X‖Y)[0..7]', () => {
    const key = sm2.publicKeyFromBytes(
      Buffer.from(
        'e1fa49f4dc8e1e2e5e964fe516723f17c8003f479471d9598bb923591580b16e0052235228e550c68048eee2f4e0d7ce3b4145f2c082ed0fdf06ff94396fb430',
        'hex',
      ),
    );
    if (!key.ok) throw new Error(key.error.message);
    const expected = createHash('sm3').update(key.value.bytes).digest().subarray(0, 8).toString('hex');
    expect(keyFingerprint(key.value)).toBe(expected);
    expect(expected).toHaveLength(16);
  });
});
