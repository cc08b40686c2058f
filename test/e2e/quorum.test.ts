/**
 * The production profile end to end on the SM2 software token, through the same PKCS#11 path a
 * real HSM takes: `initQuorumToken` splits a random PIN 2-of-3, the CA is opened with openCa as a
 * process opens it, and certificates are issued through the real issuance service.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initQuorumToken, resolveHsmConfig, signingPosture, type IssuedShare } from '../../hsm';
import { pinsFrom } from '../../hsm/quorum';
import { combineShares, decodeShare, encodeShare, splitSecret } from '../../lib/crypto/shamir';
import { unwrap } from '../../lib/errors';
import { enterSigningShare, lockSigning, type SigningActivation } from '../../lib/ca/activation';
import type { Operator } from '../../lib/ca/context';
import { createInstitution } from '../../lib/ca/institutions';
import { issueCertificate } from '../../lib/ca/issuance';
import { openCa, type OpenCa } from '../../lib/runtime/openCa';
import { authenticate } from '../../lib/ca/operators';
import { sealedOperatorSet } from '../support/operators';
import { parseHex } from '../../lib/bytes';
import { activeRootKey, approvedRequests, PASSWORD, type CaUnderTest } from './harness';

const dataDir = mkdtempSync(join(tmpdir(), 'tqca-quorum-'));
const env = { TQCA_DATA_DIR: dataDir, TQCA_HSM_QUORUM: '2/3', TQCA_HSM_POOL_SIZE: '2' };
const HOLDERS = ['alice', 'bob', 'carol'];
const MESSAGE = new TextEncoder().encode('quorum');

let shares: Record<string, IssuedShare>;
let opened: OpenCa;
let gate: SigningActivation;
let people: Record<'admin' | 'alice' | 'bob' | 'carol' | 'audrey', Operator>;
let scenario: CaUnderTest;
let requests: number[];
let rootKey: { label: string };

async function start(): Promise<void> {
  opened = unwrap(await openCa(env));
  gate = opened.activation!;
  scenario = { ...scenario, ca: opened.ca };
}
const enter = (officer: keyof typeof people, share: string) => enterSigningShare(opened.ca, gate, people[officer], share);
const shareOf = (officer: string) => shares[officer].text;
const refused = (code: string, details?: Record<string, unknown>) => ({ ok: false, error: details ? { code, details } : { code } });
const codeOf = async (result: Promise<{ ok: boolean; error?: { code: string } }>) => (await result).error?.code;

beforeAll(async () => {
  const config = unwrap(resolveHsmConfig(env));
  expect(signingPosture(config)).toEqual({ pinSource: 'quorum', evaluationOnly: false, notice: null });
  const init = unwrap(initQuorumToken({ ...config, quorum: config.quorum! }, HOLDERS));
  expect(init.token.state).toBe('created');
  shares = Object.fromEntries(init.shares.map((s) => [s.officer, s]));
  await start();
  const { ca } = opened;
  const { admin } = await sealedOperatorSet(ca, PASSWORD, [...HOLDERS.map((u) => [u, 'OFFICER'] as const), ['audrey', 'AUDITOR']]);
  unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', code: unwrap(parseHex('00001001')), nameZh: '测试发卡机构' }));
  people = Object.fromEntries(await Promise.all(['admin', ...HOLDERS, 'audrey'].map(async (u) => [u, unwrap(await authenticate(ca, u, PASSWORD))]))) as typeof people;
  scenario = { ca, admin, alice: people.alice, bob: people.bob, issuerId: 0x1001 };
}, 60_000);

afterAll(async () => {
  await opened?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('quorum activation (TQCA_HSM_QUORUM=2/3, software token)', () => {
  it('starts locked: every key operation answers HSM_LOCKED', async () => {
    expect(gate.status()).toMatchObject({ state: 'locked', threshold: 2, entered: [], activatedBy: [] });
    expect(await codeOf(opened.ca.keys.sign({ label: 'tqca-canary' }, MESSAGE))).toBe('HSM_LOCKED');
    expect(await codeOf(opened.ca.keys.generateKey({ label: 'root', algorithm: 'sm2' }))).toBe('HSM_LOCKED');
  });

  it('K−1 shares leave it locked; a mistyped, foreign, someone else’s or repeated share is named and refused', async () => {
    expect(unwrap(await enter('alice', shareOf('alice')))).toMatchObject({ state: 'locked', entered: ['alice'] });
    expect(await codeOf(opened.ca.keys.health())).toBe('HSM_LOCKED');

    const text = shareOf('bob');
    const typo = text.slice(0, 20) + (text[20] === 'Z' ? 'Y' : 'Z') + text.slice(21);
    expect(unwrap(decodeShare(text)).x).toBe(2);
    expect(await enter('bob', typo)).toMatchObject(refused('SHARE_CHECKSUM', { x: 2, officer: 'bob' }));
    // A well-formed share with a valid checksum from a different split of the same shape.
    const foreign = encodeShare(unwrap(splitSecret(crypto.getRandomValues(new Uint8Array(32)), 2, 3))[1]);
    expect(await enter('bob', foreign)).toMatchObject(refused('HSM_SHARE_WRONG', { x: 2, officer: 'bob' }));
    expect(await enter('carol', text)).toMatchObject(refused('HSM_SHARE_NOT_HOLDER', { x: 2, officer: 'carol', holder: 'bob' }));
    expect(await enter('alice', shareOf('alice'))).toMatchObject(refused('HSM_SHARE_DUPLICATE', { x: 1, officer: 'alice' }));
    expect(await enterSigningShare(opened.ca, gate, people.audrey, text)).toMatchObject(refused('OPERATOR_FORBIDDEN'));
    expect(gate.status()).toMatchObject({ state: 'locked', entered: ['alice'] });
  });

  it('the K-th share activates signing: a root key is made and certificates issue', async () => {
    expect(unwrap(await enter('bob', shareOf('bob')))).toMatchObject({ state: 'active', activatedBy: ['alice', 'bob'] });
    const root = await activeRootKey(scenario, 0x81);
    rootKey = { label: root.hsmKeyLabel };
    requests = await approvedRequests(scenario, 0x81, 1, 3);
    expect(unwrap(await issueCertificate(opened.ca, people.bob, requests[0])).certificate).toMatch(/^[0-9a-f]{212}$/);
  }, 60_000);

  it('lock stops signing at once: the sign in flight finishes, the next one is refused', async () => {
    const inFlight = opened.ca.keys.sign(rootKey, MESSAGE);
    // Past the CA's guards (the live log check, the start-up HSM check), into the token's C_Sign.
    await new Promise((resolve) => setImmediate(resolve));
    const locked = lockSigning(opened.ca, gate, people.carol);
    expect(await codeOf(opened.ca.keys.sign(rootKey, MESSAGE))).toBe('HSM_LOCKED');
    expect(unwrap(await locked)).toMatchObject({ state: 'locked', activatedBy: [] });
    expect((await inFlight).ok).toBe(true);
    expect(await codeOf(opened.ca.keys.sign(rootKey, MESSAGE))).toBe('HSM_LOCKED');
  });

  it('after a restart issuance fails with HSM_LOCKED until K officers enter their shares again', async () => {
    await opened.close();
    await start();
    expect(gate.status().state).toBe('locked');
    expect(await issueCertificate(opened.ca, people.bob, requests[1])).toMatchObject(refused('HSM_LOCKED'));
    unwrap(await enter('carol', shareOf('carol')));
    expect(await issueCertificate(opened.ca, people.bob, requests[2])).toMatchObject(refused('HSM_LOCKED'));
    expect(unwrap(await enter('bob', shareOf('bob')))).toMatchObject({ state: 'active', activatedBy: ['carol', 'bob'] });
    expect(unwrap(await issueCertificate(opened.ca, people.bob, requests[2])).certificate).toMatch(/^[0-9a-f]{212}$/);
  }, 60_000);

  it('audits every entry, refusal, activation and lock with the officers who took part', async () => {
    const events = await opened.ca.prisma.auditEvent.findMany({ where: { objectType: 'hsmToken' }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.actor, e.action, e.details])).toEqual([
      ['alice', 'hsmToken.share.entered', { entered: ['alice'], threshold: 2 }],
      ['bob', 'hsmToken.share.refused', { code: 'SHARE_CHECKSUM', x: 2 }],
      ['bob', 'hsmToken.share.refused', { code: 'HSM_SHARE_WRONG', x: 2 }],
      ['carol', 'hsmToken.share.refused', { code: 'HSM_SHARE_NOT_HOLDER', x: 2 }],
      ['alice', 'hsmToken.share.refused', { code: 'HSM_SHARE_DUPLICATE', x: 1 }],
      ['bob', 'hsmToken.signing.activated', { officers: ['alice', 'bob'], threshold: 2 }],
      ['carol', 'hsmToken.signing.locked', { wasActive: true, activatedBy: ['alice', 'bob'], discardedShares: [] }],
      ['carol', 'hsmToken.share.entered', { entered: ['carol'], threshold: 2 }],
      ['bob', 'hsmToken.signing.activated', { officers: ['carol', 'bob'], threshold: 2 }],
    ]);
    expect(new Set(events.map((e) => e.objectId))).toEqual(new Set(['tqca']));
  });

  it('no file the CA wrote holds the PIN, the SO PIN, the secret or a share, in any encoding', async () => {
    await opened.close();
    const secret = unwrap(combineShares([decodeShare(shareOf('alice')), decodeShare(shareOf('carol'))].map(unwrap)));
    const { userPin, soPin } = pinsFrom(secret);
    const forms = (bytes: Buffer) => [bytes, Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('hex').toUpperCase()), Buffer.from(bytes.toString('base64'))];
    const needles = [
      ...[userPin, soPin].flatMap((pin) => [Buffer.from(pin), ...forms(Buffer.from(pin, 'hex'))]),
      ...forms(Buffer.from(secret)),
      ...HOLDERS.flatMap((o) => {
        const share = unwrap(decodeShare(shareOf(o)));
        return [Buffer.from(shareOf(o)), Buffer.from(shareOf(o).split('-').slice(3).join('')), ...forms(Buffer.from(share.y))];
      }),
    ];
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dataDir);
    expect(files.some((f) => f.includes(`${join(dataDir, 'db')}`))).toBe(true);
    expect(files.some((f) => f.startsWith(join(dataDir, 'token')))).toBe(true);
    expect(files.filter((f) => f.startsWith(join(dataDir, 'secrets')))).toEqual([]);
    for (const file of files) {
      const content = readFileSync(file);
      for (const needle of needles) expect(content.includes(needle), `${file} holds a secret`).toBe(false);
    }
    // The pins the officers rebuilt are the token's: the scan searched for the right bytes.
    const reopened = unwrap(await openCa(env));
    opened = reopened;
    gate = reopened.activation!;
    unwrap(await gate.enterShare('alice', shareOf('alice')));
    expect(unwrap(await gate.enterShare('carol', shareOf('carol'))).state).toBe('active');
  }, 60_000);

  it('a lock that arrives while the K-th share is logging in undoes the activation', async () => {
    await gate.lock();
    unwrap(await gate.enterShare('alice', shareOf('alice')));
    const racing = gate.enterShare('bob', shareOf('bob'));
    await gate.lock();
    expect(await racing).toMatchObject(refused('HSM_LOCKED'));
    expect(gate.status()).toMatchObject({ state: 'locked', entered: [], activatedBy: [] });
    expect(await codeOf(opened.ca.keys.sign(rootKey, MESSAGE))).toBe('HSM_LOCKED');
  });
});
