/**
 * The root-key announce step (TQ-CERT-1 §9 rollover; A2 "announced ahead of use", docs/profile.md §5), on the
 * software token and PGlite, with the services' clock driven by the test: an announcement is
 * dual-controlled and audited, its approval publishes a version that lists the key's A2 (signed
 * by the key clients already trust, accepted by the client check against its predecessor), and
 * activation is refused with a typed error until the key has been announced for the lead. Once
 * active, the announced key signs the very next version: clients already hold it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, verifyBundle } from '../codec';
import { unwrap, type Result } from '../errors';
import type { CaServices } from '../ca';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../ca/requests';
import { approveCeremony, listCeremonies, requestRootKeyChange, requestRootKeyCreation } from '../ca/rootKeys';
import { activeRootKey, buildRequest, startHarness, type Harness } from '../../test/e2e/harness';
import { publish } from './publish';
import { bundleByVersion } from './reads';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
const DAY = 86_400_000;
const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  // The CA as lib/runtime wires it: every committed root-key transition publishes.
  ca = { ...h.ca, now: () => clock, changed: async (reason) => void unwrap(await publish(ca, reason)) };
  await activeRootKey({ ...h, ca }, 0x9a);
  const created = unwrap(await requestRootKeyCreation(ca, h.alice, { index: 0x9b, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));
  unwrap(await approveCeremony(ca, h.bob, created.id));
}, 120_000);
afterAll(() => h?.close());

const latestBundle = async () => {
  const version = await ca.prisma.publishedBundle.count();
  return { version, bytes: unwrap(await bundleByVersion(ca, version)) };
};
const listed = (bytes: Uint8Array) => unwrap(decodeBundle(bytes)).rootKeys.map((k) => k.rootKeyIndex);

async function approveChange(action: 'ANNOUNCE' | 'ACTIVATE', index: number) {
  const asked = unwrap(await requestRootKeyChange(ca, h.alice, action, index));
  return approveCeremony(ca, h.bob, asked.id);
}

describe('announcing a root key', () => {
  it('refuses to activate a rollover key that was never announced, and keeps it out of the bundles', async () => {
    expect(code(await approveChange('ACTIVATE', 0x9b))).toBe('ROOT_KEY_NOT_ANNOUNCED');
    const [failed] = (await listCeremonies(ca, { status: 'FAILED' })).slice(-1);
    expect(failed.checks?.find((c) => c.check === 'announcedForLead')).toMatchObject({ passed: false, code: 'ROOT_KEY_NOT_ANNOUNCED' });
    expect(listed((await latestBundle()).bytes)).toEqual([0x9a]);
  });

  it('announces under dual control, audited with the transition, and publishes the A2 signed by the trusted key', async () => {
    const asked = unwrap(await requestRootKeyChange(ca, h.alice, 'ANNOUNCE', 0x9b));
    expect(code(await approveCeremony(ca, h.alice, asked.id))).toBe('DUAL_CONTROL_SAME_OFFICER');
    const before = await latestBundle();
    unwrap(await approveCeremony(ca, h.bob, asked.id));

    const key = await ca.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x9b } });
    expect(key).toMatchObject({ state: 'ANNOUNCED', announcedAt: clock, announcedById: h.bob.id });
    const event = await ca.prisma.auditEvent.findFirstOrThrow({ where: { action: 'rootKey.announced', objectId: '9B' } });
    expect(event.actorId).toBe(h.bob.id);

    const after = await latestBundle();
    expect(after.version).toBe(before.version + 1);
    const bundle = unwrap(decodeBundle(after.bytes));
    expect(bundle.manifest.rootKeyIndex).toBe(0x9a);
    expect(listed(after.bytes)).toEqual([0x9a, 0x9b]);
    const trusted = unwrap(decodeBundle(before.bytes)).rootKeys.map((k) => ({ rootKeyIndex: k.rootKeyIndex, publicKey: k.publicKey }));
    const verified = unwrap(verifyBundle({ bundle: after.bytes, trustedRoots: trusted, previous: before.bytes, now: clock }));
    expect(verified.trustedRoots.map((r) => r.rootKeyIndex)).toEqual([0x9a, 0x9b]);
  });

  it('signs nothing with an announced key: no certificate request may name it', async () => {
    const challenge = unwrap(await issueChallenge(ca, h.alice, h.issuerId));
    const request = unwrap(await submitRequest(ca, h.alice, buildRequest({ issuerId: h.issuerId, challenge: challenge.challenge, serial: 3, expiry: { year: 2028, month: 1 }, at: clock }).a1));
    unwrap(await reviewRequest(ca, h.alice, request.id, request.fingerprint));
    expect(code(await approveRequest(ca, h.bob, request.id, 0x9b))).not.toBe('ok');
  });

  it('refuses activation until the lead has passed on the services’ clock, then the key signs the next version', async () => {
    clock = new Date(clock.getTime() + 90 * DAY - 60_000);
    expect(code(await approveChange('ACTIVATE', 0x9b))).toBe('ROOT_KEY_ANNOUNCEMENT_TOO_RECENT');
    expect((await ca.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x9b } })).state).toBe('ANNOUNCED');

    clock = new Date(clock.getTime() + 60_000);
    unwrap(await publish(ca, 'scheduled'));
    const before = await latestBundle();
    unwrap(await approveChange('ACTIVATE', 0x9b));
    const after = await latestBundle();
    // Clients listed 9B for 90 days: it signs at once, with no version signed by 9A in between.
    expect(after.version).toBe(before.version + 1);
    expect(unwrap(decodeBundle(after.bytes)).manifest.rootKeyIndex).toBe(0x9b);
    const trusted = unwrap(decodeBundle(before.bytes)).rootKeys.map((k) => ({ rootKeyIndex: k.rootKeyIndex, publicKey: k.publicKey }));
    unwrap(verifyBundle({ bundle: after.bytes, trustedRoots: trusted, previous: before.bytes, now: clock }));
  });
});
