/**
 * The publication timer, on the software token and PGlite: a round makes what time changed while
 * the server runs, without a restart — a certificate's certificate.expired event, a root key past
 * its expiry day and a stale request EXPIRED, each audited — and publishes only what time changed
 * (a certificate past its expiry drops out; nothing else → unchanged), and no round runs after
 * stop().
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeBundle } from '../codec';
import { unwrap, type Result } from '../errors';
import type { CaServices } from '../ca';
import { approveCeremony, requestRootKeyCreation } from '../ca/rootKeys';
import { activeRootKey, issuedCertificate, startHarness, submittedRequest, type Harness } from '../../test/e2e/harness';
import { publish, type PublishOutcome } from './publish';
import { bundleByVersion } from './reads';
import { startPublicationScheduler } from './scheduler';

let h: Harness;
let clock = new Date('2026-12-20T02:00:00Z');
let ca: CaServices;
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x93);
}, 600_000);
afterAll(() => h?.close());

it('publishes when a certificate expires, and otherwise answers unchanged', async () => {
  const first = await issuedCertificate({ ...h, ca }, 1, { year: 2027, month: 1 }, 0x93);
  await issuedCertificate({ ...h, ca }, 2, { year: 2027, month: 6 }, 0x93);
  expect(unwrap(await publish(ca, 'operator'))).toEqual({ version: 1 });
  // A generated key never activated, with the shortest life allowed, and a request left open past 30 days.
  unwrap(await approveCeremony(ca, h.bob, unwrap(await requestRootKeyCreation(ca, h.alice, { index: 0x94, environment: 'TEST', expiry: { year: 2027, month: 12, day: 21 } })).id));
  const open = await submittedRequest({ ...h, ca }, 3, { year: 2027, month: 6 });

  const rounds: Result<PublishOutcome>[] = [];
  let resolveRound: () => void = () => undefined;
  const scheduler = startPublicationScheduler(ca, { intervalMs: 20, onResult: (r) => (rounds.push(r), resolveRound()) });
  const nextRound = () => new Promise<void>((resolve) => (resolveRound = resolve));
  // A round under way when the clock moves may have read the old time: the second one has not.
  const roundsAfterTheClockMoved = async () => (await nextRound(), await nextRound());
  await nextRound();
  expect(rounds.at(-1)).toEqual({ ok: true, value: { unchanged: true, version: 1 } });

  // Past 31 January 2027 (CST) the first certificate has expired; the bundle of version 1 too.
  clock = new Date('2027-02-01T00:00:00Z');
  await roundsAfterTheClockMoved();
  const fallen = clock;
  // Past 21 December 2027 the key has expired, and the second certificate (June 2027) with it.
  clock = new Date('2027-12-22T00:00:00Z');
  await roundsAfterTheClockMoved();
  await scheduler.stop();
  const expired = await h.db.prisma.auditEvent.findMany({ where: { action: 'certificate.expired' }, orderBy: { seq: 'asc' }, select: { objectId: true, time: true } });
  // The view's number is the eight hex digits; the event's object id the decimal number.
  expect(expired.slice(0, 1)).toEqual([{ objectId: BigInt(`0x${first.number}`).toString(), time: fallen }]);
  expect(await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x94 }, select: { state: true } })).toEqual({ state: 'EXPIRED' });
  expect(await h.db.prisma.certificateRequest.findUniqueOrThrow({ where: { id: open.id }, select: { state: true } })).toEqual({ state: 'EXPIRED' });
  const timeEvents = await h.db.prisma.auditEvent.findMany({ where: { action: { in: ['rootKey.expired', 'certificateRequest.expired'] } }, orderBy: { seq: 'asc' }, select: { action: true, objectId: true, time: true } });
  expect(timeEvents).toEqual([
    { action: 'certificateRequest.expired', objectId: String(open.id), time: fallen },
    { action: 'rootKey.expired', objectId: '94', time: clock },
  ]);
  const fresh = rounds.filter((r) => r.ok && !r.value.unchanged);
  expect(fresh).toEqual([
    { ok: true, value: { version: 2 } },
    { ok: true, value: { version: 3 } },
  ]);
  const listed = unwrap(decodeBundle(unwrap(await bundleByVersion(ca, 2)))).certificates.map((c) => c.certificateNumber);
  expect(listed).toEqual([2]);
  const after = rounds.length;
  await new Promise((r) => setTimeout(r, 60));
  expect(rounds.length).toBe(after);
}, 600_000);
