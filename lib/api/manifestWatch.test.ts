/**
 * The served manifest comes from memory: after the first read, asking for it any number of times
 * reads nothing, a newly published version is served within about a refresh interval, and the
 * poll counter writes one batch, not one row per poll, on the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/databases';
import { createInstitution, authenticate, bootstrapAdministrator } from '../ca';
import { ok, unwrap } from '../errors';
import { etagOf, ifNoneMatchHits, ManifestWatch, type PublishedManifest } from './manifestWatch';
import { PollCounter } from './pollCounter';

const manifest = (version: number): PublishedManifest => ({ version, manifest: new Uint8Array(122).fill(version), bodySm3: new Uint8Array(32).fill(version), publishedAt: new Date(0), expiresAt: new Date(0) });

describe('ManifestWatch', () => {
  let published = manifest(1);
  let reads = 0;
  const watch = new ManifestWatch(async () => {
    reads += 1;
    return ok(published);
  }, 100);
  afterAll(() => watch.stop());

  it('reads once, then answers from memory', async () => {
    const first = unwrap(await watch.current());
    expect(first.version).toBe(1);
    const before = reads;
    for (let i = 0; i < 1000; i++) unwrap(await watch.current());
    // Only the timer reads (at most a couple of ticks passed), never the calls.
    expect(reads - before).toBeLessThan(3);
  });

  it('serves a newly published version within a refresh interval, under a new strong ETag', async () => {
    const old = unwrap(await watch.current()).etag;
    published = manifest(2);
    await new Promise((r) => setTimeout(r, 250));
    const now = unwrap(await watch.current());
    expect([now.version, now.etag === old, now.etag]).toEqual([2, false, etagOf(manifest(2))]);
    expect(now.etag).toMatch(/^"2-[0-9a-f]{32}"$/);
  });

  it('matches If-None-Match by RFC 9110 weak comparison', () => {
    const tag = etagOf(manifest(2));
    expect([ifNoneMatchHits(tag, tag), ifNoneMatchHits(`"x", W/${tag}`, tag), ifNoneMatchHits('*', tag), ifNoneMatchHits('"x"', tag), ifNoneMatchHits(null, tag)]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('PollCounter', () => {
  const t = useTestDatabase('pglite');
  let acquirer: number;
  beforeAll(async () => {
    unwrap(await bootstrapAdministrator(t.ctx, { username: 'admin', displayName: 'Admin', password: 'correct horse battery' }));
    const admin = unwrap(await authenticate(t.ctx, 'admin', 'correct horse battery'));
    acquirer = unwrap(await createInstitution(t.ctx, admin, { kind: 'ACQUIRER', nameZh: '收单甲' })).id;
  });

  it('counts in memory and writes one batch per flush', async () => {
    const counter = new PollCounter(t.ctx, 60_000);
    const at = new Date('2026-12-01T00:00:00Z');
    for (let i = 0; i < 500; i++) counter.count(acquirer, 7, i % 5 !== 0, new Date(at.getTime() + i));
    expect(await t.db.prisma.distributionPoll.count()).toBe(0);
    await counter.flush();
    counter.count(acquirer, 7, true, new Date(at.getTime() + 1000));
    await counter.flush();
    counter.stop();
    const row = await t.db.prisma.distributionPoll.findUniqueOrThrow({ where: { institutionId_version: { institutionId: acquirer, version: 7 } } });
    expect([row.served, row.notModified, row.firstPollAt, row.lastPollAt]).toEqual([100n, 401n, at, new Date(at.getTime() + 1000)]);
  });
});
