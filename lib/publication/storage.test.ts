/**
 * A version is stored as references (its A2s, its certificates' numbers as runs, its A4's sequence) and
 * reassembled on read, on the software token and PGlite: read back with the readers' cache emptied
 * it is the bytes built at publication, byte for byte; a referenced part changed or missing (by
 * SQL as the owner, past the triggers) is BUNDLE_STORAGE_CORRUPT, never other bytes; a version
 * stored with its bytes (published before references) still reads; the new columns are immutable
 * and a certificate a version refers to cannot be deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equal } from '../bytes';
import type { CaServices } from '../ca';
import { revokeCertificate } from '../ca/certificates';
import { decodeBundle } from '../codec';
import { unwrap, type Result } from '../errors';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { publish } from './publish';
import { bundleByVersion, forgetStoredBundles, listBundles, rootRecords } from './reads';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
/** The bytes each version was built as, taken right after its publication (held as the hot versions). */
const built = new Map<number, Uint8Array>();
let numbers: bigint[] = [];

async function published(reason: Parameters<typeof publish>[1]): Promise<void> {
  const { version } = unwrap(await publish(ca, reason));
  // A rotation publishes two versions.
  for (let v = built.size + 1; v <= version; v++) built.set(v, unwrap(await bundleByVersion(ca, v)));
}

/** A fresh read: the parts from the database, not the cache. */
async function readAfresh(version: number): Promise<Result<Uint8Array>> {
  forgetStoredBundles(ca.prisma);
  return bundleByVersion(ca, version);
}

/** Ascending numbers as the runs a version stores: first ‖ length, 4 bytes big-endian each, in hex. */
function runsOf(ascending: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const n of ascending) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] === n) last[1]++;
    else runs.push([n, 1]);
  }
  return runs.map(([first, length]) => first.toString(16).padStart(8, '0') + length.toString(16).padStart(8, '0')).join('');
}

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const sql = (statement: string) => ca.prisma.$executeRawUnsafe(statement);

/** `change` run as the owner past `trigger` on `table`, undone by `undo` after `check`. */
async function tampered(table: string, trigger: string, change: string, undo: string, check: () => Promise<void>): Promise<void> {
  await sql(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
  await sql(change);
  try {
    await check();
  } finally {
    await sql(undo);
    await sql(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  }
}

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x90);
  for (let serial = 1; serial <= 3; serial++) await issuedCertificate({ ...h, ca }, serial, { year: 2027, month: serial }, 0x90);
  await published('operator');
  numbers = (await ca.prisma.certificate.findMany({ orderBy: { number: 'asc' }, select: { number: true } })).map((c) => c.number);
  unwrap(await revokeCertificate(ca, h.bob, Number(numbers[0]), 'keyCompromise'));
  await published('revocation');
  // Certificate 2 expires (end of February 2027 CST); a new root key is listed, then signs.
  clock = new Date('2027-03-02T00:00:00Z');
  await published('expiry');
  await activeRootKey({ ...h, ca }, 0x91);
  await issuedCertificate({ ...h, ca }, 4, { year: 2027, month: 9 }, 0x91);
  await published('rootKey');
}, 180_000);
afterAll(() => h?.close());

describe('bundles stored by reference', () => {
  it('reassembles every version to the bytes built at publication, across issuance, revocation, expiry and a root key', async () => {
    const versions = [...built.keys()];
    expect(versions.length).toBeGreaterThanOrEqual(4);
    for (const v of versions) {
      const bytes = unwrap(await readAfresh(v));
      expect(equal(bytes, built.get(v)!), `version ${v}`).toBe(true);
    }
    const stored = await ca.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' } });
    // No copy of the bytes: the numbers as runs (first, length), and the size.
    const runsListed = (bundle: Uint8Array) => runsOf(unwrap(decodeBundle(bundle)).certificates.map((c) => c.certificateNumber));
    expect(stored.map((b) => [b.bytes, b.a3Runs && Buffer.from(b.a3Runs).toString('hex'), b.size])).toEqual(stored.map((b) => [null, runsListed(built.get(b.version)!), built.get(b.version)!.length]));
    expect((await listBundles(ca)).map((b) => b.size)).toEqual(stored.map((b) => built.get(b.version)!.length));
    const latest = unwrap(decodeBundle(built.get(versions.at(-1)!)!));
    forgetStoredBundles(ca.prisma);
    expect(unwrap(await rootRecords(ca)).roots.map((r) => r.index)).toEqual(latest.rootKeys.map((k) => k.rootKeyIndex));
  });

  it('refuses to serve a version whose A3 record was changed or removed behind the trigger', async () => {
    const version = 1;
    const number = numbers[1]!;
    await tampered('certificate', 'certificate_a3_record_once', `UPDATE certificate SET a3_record = set_byte(a3_record, 100, get_byte(a3_record, 100) # 1) WHERE number = ${number}`, `UPDATE certificate SET a3_record = set_byte(a3_record, 100, get_byte(a3_record, 100) # 1) WHERE number = ${number}`, async () => {
      const read = await readAfresh(version);
      expect(code(read)).toBe('BUNDLE_STORAGE_CORRUPT');
    });
    const a3 = (await ca.prisma.certificate.findUniqueOrThrow({ where: { number } })).a3Record!;
    await tampered('certificate', 'certificate_a3_record_once', `UPDATE certificate SET a3_record = NULL WHERE number = ${number}`, `UPDATE certificate SET a3_record = '\\x${Buffer.from(a3).toString('hex')}' WHERE number = ${number}`, async () => {
      const read = await readAfresh(version);
      expect(read.ok ? null : [read.error.code, read.error.details]).toEqual(['BUNDLE_STORAGE_CORRUPT', { version, listed: 3, found: 2 }]);
    });
    expect(equal(unwrap(await readAfresh(version)), built.get(version)!)).toBe(true);
  });

  it('refuses to serve a version whose A4 row or certificate list was changed behind the triggers', async () => {
    const version = 2;
    const row = await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version } });
    // Past the foreign key too (ALL): the A4 it names is gone.
    await tampered('bundle', 'ALL', `UPDATE bundle SET a4_sequence = 999 WHERE version = ${version}`, `UPDATE bundle SET a4_sequence = ${row.a4Sequence} WHERE version = ${version}`, async () => {
      const read = await readAfresh(version);
      expect(read.ok ? null : [read.error.code, read.error.message]).toEqual(['BUNDLE_STORAGE_CORRUPT', `stored bundle ${version} does not reassemble: its A4 row is missing`]);
    });
    expect(equal(unwrap(await readAfresh(version)), built.get(version)!)).toBe(true);
    // Another certificate listed (the revoked one, which still has its A3 record): the SM3 disagrees.
    const original = Buffer.from(row.a3Runs!).toString('hex');
    const other = numbers[0]!.toString(16).padStart(8, '0') + original.slice(8);
    await tampered('bundle', 'bundle_immutable', `UPDATE bundle SET a3_runs = '\\x${other}' WHERE version = ${version}`, `UPDATE bundle SET a3_runs = '\\x${original}' WHERE version = ${version}`, async () => {
      expect(code(await readAfresh(version))).toBe('BUNDLE_STORAGE_CORRUPT');
    });
    // Runs that overlap, or a run of none: refused before any certificate is read.
    for (const runs of [original + original, original.slice(0, 8) + '00000000']) {
      await tampered('bundle', 'bundle_immutable', `UPDATE bundle SET a3_runs = '\\x${runs}' WHERE version = ${version}`, `UPDATE bundle SET a3_runs = '\\x${original}' WHERE version = ${version}`, async () => {
        const read = await readAfresh(version);
        expect(read.ok ? null : [read.error.code, read.error.message]).toEqual(['BUNDLE_STORAGE_CORRUPT', `stored bundle ${version} does not reassemble: its certificate numbers are not runs, ascending and apart`]);
      });
    }
  });

  it('reads a version stored with its bytes, as published before references, and checks those too', async () => {
    const version = 3;
    const bytes = Buffer.from(built.get(version)!).toString('hex');
    const row = await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version } });
    const runsHex = Buffer.from(row.a3Runs!).toString('hex');
    const flipped = bytes.slice(0, -2) + (parseInt(bytes.slice(-2), 16) ^ 1).toString(16).padStart(2, '0');
    await tampered('bundle', 'bundle_immutable', `UPDATE bundle SET bytes = '\\x${bytes}', a3_runs = NULL WHERE version = ${version}`, `UPDATE bundle SET bytes = NULL, a3_runs = '\\x${runsHex}' WHERE version = ${version}`, async () => {
      expect(equal(unwrap(await readAfresh(version)), built.get(version)!)).toBe(true);
      await sql(`UPDATE bundle SET bytes = '\\x${flipped}' WHERE version = ${version}`);
      expect(code(await readAfresh(version))).toBe('BUNDLE_STORAGE_CORRUPT');
    });
  });

  it('keeps the stored parts immutable: the new columns, and the certificates a version refers to', async () => {
    const refused = [
      sql(`UPDATE bundle SET a3_runs = a3_runs WHERE version = 1`),
      sql(`UPDATE bundle SET a2_records = a2_records WHERE version = 1`),
      sql(`UPDATE bundle SET size = size + 1 WHERE version = 1`),
      sql(`DELETE FROM certificate WHERE number = ${numbers[1]}`),
    ];
    for (const attempt of refused) await expect(attempt).rejects.toThrow(/immutable|published bundles refer to/);
  });
});
