/**
 * A whole CA for tests, built from the real parts: the SM2 software token (a PKCS#11 module) in
 * a fresh store, a database (PGlite in memory, or a PostgreSQL URL), the sealed bootstrap set
 * (two administrators, two officers, their one-time passwords replaced) and an issuer, created
 * through the same services the console uses.
 */
import { openPkcs11KeyManager } from '../../hsm/pkcs11KeyManager';
import { softToken, type TokenUnderTest } from '../../hsm/testTokens';
import type { KeyManager } from '../../hsm/keyManager';
import { requestRecord, type CalendarDay, type CalendarMonth } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import { openDatabase, type Database } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';
import { bytesToUint, parseHex, uintToBytes } from '../../lib/bytes';
import type { Operator } from '../../lib/ca/context';
import { createInstitution } from '../../lib/ca/institutions';
import { sealGovernance } from '../../lib/ca/governance';
import { approveOperatorChange, changeOperator } from '../../lib/ca/operatorChanges';
import { authenticate, bootstrapAdministrator, type OperatorRole } from '../../lib/ca/operators';
import { bootstrapOperator, takeOver } from '../support/operators';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../../lib/ca/requests';
import { issueCertificate } from '../../lib/ca/issuance';
import { formatIndex } from '../../lib/ca/rootKeyRules';
import { approveCeremony, listRootKeys, requestRootKeyChange, requestRootKeyCreation, type RootKeyView } from '../../lib/ca/rootKeys';
import type { CaServices } from '../../lib/ca/services';

export const PASSWORD = 'correct horse battery staple';
export const CENTER_ID = 0x00000001;

export interface Harness {
  readonly ca: CaServices;
  readonly db: Database;
  readonly keys: KeyManager;
  readonly token: TokenUnderTest;
  readonly admin: Operator;
  /** The second administrator of the sealed set, for operator changes under dual control. */
  readonly admin2: Operator;
  /** Two different officers, for dual control. */
  readonly alice: Operator;
  readonly bob: Operator;
  /** The registered issuer's id (its 4-byte code as uint32). */
  readonly issuerId: number;
  close(): Promise<void>;
}

/** What the scenario helpers below use: a CA opened any way (startHarness, or openCa with the operators made). */
export type CaUnderTest = Pick<Harness, 'ca' | 'admin' | 'alice' | 'bob' | 'issuerId'>;

export interface HarnessOptions {
  /** PostgreSQL URL; otherwise PGlite in `dataDir`, or in memory. */
  readonly url?: string;
  readonly dataDir?: string;
  /** A token already set up (a second process sharing one store); a fresh one otherwise. */
  readonly token?: TokenUnderTest;
  /** Skip creating operators and the issuer (a second process joining an existing CA). */
  readonly join?: boolean;
  readonly now?: () => Date;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const token = options.token ?? softToken('softtoken');
  const keys = unwrap(await openPkcs11KeyManager({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, profile: token.profile, poolSize: 4 }));
  const db = await openDatabase(options.url ? { url: options.url } : { dataDir: options.dataDir ?? 'memory://' });
  const ca: CaServices = { prisma: db.prisma, keys, centerId: CENTER_ID, now: options.now ?? (() => new Date()) };
  if (!options.join) {
    unwrap(await bootstrapAdministrator(ca, { username: 'admin', displayName: 'Administrator', password: PASSWORD }));
    const admin = unwrap(await authenticate(ca, 'admin', PASSWORD));
    for (const [username, role] of [['admin2', 'ADMIN'], ['alice', 'OFFICER'], ['bob', 'OFFICER']] as const) {
      await bootstrapOperator(ca, admin, username, role, PASSWORD);
    }
    unwrap(await sealGovernance(ca, admin));
    unwrap(await createInstitution(ca, admin, { kind: 'ISSUER', code: unwrap(parseHex('00001001')), nameZh: '测试发卡机构' }));
  }
  const [admin, admin2, alice, bob] = await Promise.all(['admin', 'admin2', 'alice', 'bob'].map(async (u) => unwrap(await authenticate(ca, u, PASSWORD))));
  return {
    ca,
    db,
    keys,
    token,
    admin,
    admin2,
    alice,
    bob,
    issuerId: bytesToUint(unwrap(parseHex('00001001'))),
    async close() {
      await keys.close();
      await db.close();
      if (!options.token) token.dispose();
    },
  };
}

/** An operator added after the seal: admin asks, admin2 approves, the new operator sets PASSWORD. */
export async function addOperator(h: Harness, username: string, role: OperatorRole): Promise<Operator> {
  const asked = unwrap(await changeOperator(h.ca, h.admin, { kind: 'CREATE', operator: { username, displayName: username, roles: [role] } }));
  return takeOver(h.ca, await approveOperatorChange(h.ca, h.admin2, asked.request!.id), PASSWORD);
}

/** An issuer key pair with even Y, as the profile requires (§2). */
export function issuerKeyPair(): { privateKey: Uint8Array; publicKey: ReturnType<typeof sm2.publicKeyFromPrivate> } {
  for (;;) {
    const privateKey = sm2.generatePrivateKey();
    const publicKey = sm2.publicKeyFromPrivate(privateKey);
    if ((publicKey.y & 1n) === 0n) return { privateKey, publicKey };
  }
}

export interface RequestInput {
  readonly issuerId: number;
  readonly challenge: string;
  readonly serial: number;
  readonly expiry: CalendarMonth;
  readonly at?: Date;
  readonly key?: ReturnType<typeof issuerKeyPair>;
}

/** An A1 record as an issuer builds it: fresh key, proof of possession over bytes 0–96. */
export function buildRequest(input: RequestInput): { a1: Uint8Array; key: ReturnType<typeof issuerKeyPair> } {
  const key = input.key ?? issuerKeyPair();
  const fields = {
    issuerId: input.issuerId,
    serial: input.serial,
    expiry: input.expiry,
    publicKey: key.publicKey,
    challenge: unwrap(parseHex(input.challenge)),
    requestTime: Math.floor((input.at ?? new Date()).getTime() / 1000),
  };
  const proofOfPossession = sm2.sign(requestRecord.toBeSigned(fields), key.privateKey);
  return { a1: requestRecord.encode({ ...fields, proofOfPossession }), key };
}

/** A request of the harness's issuer, submitted by alice at `at` (default: the harness clock). */
export async function submittedRequest(h: CaUnderTest, serial: number, expiry: CalendarMonth, at: Date = h.ca.now()) {
  const challenge = unwrap(await issueChallenge(h.ca, h.alice, h.issuerId));
  const { a1 } = buildRequest({ issuerId: h.issuerId, challenge: challenge.challenge, serial, expiry, at });
  return unwrap(await submitRequest(h.ca, h.alice, a1));
}

/** A certificate of the harness's issuer: alice submits and reviews, bob approves and issues under `rootIndex`. */
export async function issuedCertificate(h: CaUnderTest, serial: number, expiry: CalendarMonth, rootIndex: number) {
  const request = await submittedRequest(h, serial, expiry);
  unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
  unwrap(await approveRequest(h.ca, h.bob, request.id, rootIndex));
  return unwrap(await issueCertificate(h.ca, h.bob, request.id));
}

/**
 * A root key created and activated under dual control (alice requests, bob approves). When
 * another key is active (a rollover) it is announced first, and its announcement is dated the
 * lead back — a key announced 90 days ago — for scenarios that are not about the lead
 * (lib/ca/rootKeys.test.ts drives the lead through the services' clock).
 */
export async function activeRootKey(h: CaUnderTest, index: number, expiry: CalendarDay = { year: 2031, month: 12, day: 31 }): Promise<RootKeyView> {
  const create = unwrap(await requestRootKeyCreation(h.ca, h.alice, { index, environment: index <= 0x7f ? 'PRODUCTION' : 'TEST', expiry }));
  unwrap(await approveCeremony(h.ca, h.bob, create.id));
  if ((await h.ca.prisma.rootKey.count({ where: { state: 'ACTIVE' } })) > 0) {
    unwrap(await approveCeremony(h.ca, h.bob, unwrap(await requestRootKeyChange(h.ca, h.alice, 'ANNOUNCE', index)).id));
    const lead = (h.ca.rootKeyAnnounceLeadDays ?? 90) * 86_400_000;
    await h.ca.prisma.rootKey.update({ where: { index }, data: { announcedAt: new Date(h.ca.now().getTime() - lead) } });
  }
  const activation = unwrap(await requestRootKeyChange(h.ca, h.alice, 'ACTIVATE', index));
  unwrap(await approveCeremony(h.ca, h.bob, activation.id));
  return (await listRootKeys(h.ca)).find((k) => k.index === formatIndex(index))!;
}

/**
 * `perIssuer` approved requests for each of `issuers` issuers (the first is the harness's, the
 * others are registered here), ready to issue under root key `rootIndex`.
 */
export async function approvedRequests(h: CaUnderTest, rootIndex: number, issuers: number, perIssuer: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < issuers; i++) {
    const issuerId = h.issuerId + i;
    if (i > 0) unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code: uintToBytes(issuerId, 4), nameZh: `发卡机构 ${i}` }));
    for (let serial = 1; serial <= perIssuer; serial++) {
      const challenge = unwrap(await issueChallenge(h.ca, h.alice, issuerId));
      const { a1 } = buildRequest({ issuerId, challenge: challenge.challenge, serial, expiry: { year: 2028, month: 1 + (serial % 12) } });
      const request = unwrap(await submitRequest(h.ca, h.alice, a1));
      unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
      unwrap(await approveRequest(h.ca, h.bob, request.id, rootIndex));
      ids.push(request.id);
    }
  }
  return ids;
}
