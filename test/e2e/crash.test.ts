/**
 * SIGKILL in the middle of a run of issuances: a child process issues with four workers; once it
 * has handed out some certificates, the test holds an EXCLUSIVE lock on the certificate table
 * from its own connection, so every worker that has reserved a number and signed waits inside
 * its storing transaction; the test kills the process right there, releases the lock and — as a
 * restarted console does — runs the recovery step on the database. After
 * it, every allocated number is ISSUED with its certificate or FAILED with the reason, every
 * certificate the child handed out is stored, every stored certificate verifies, and the
 * interrupted requests can be issued again. The workers stopped in T2 had committed their signed
 * bytes, so recovery records what the HSM signed under each failed number.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { openDatabase } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';
import { issueCertificate, recoverInterruptedIssuances } from '../../lib/ca/issuance';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { activeRootKey, approvedRequests, startHarness, type Harness } from './harness';
import { checkLedger, startIssuanceProcess, type IssuanceProcess } from './issuanceProcess';

let postgres: TestPostgres;
let url: string;
let h: Harness;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase('crash');
  h = await startHarness({ url });
}, 300_000);
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
});

/** Waits for `condition`; a child that ends first fails the test with its stderr. */
async function until(run: IssuanceProcess, condition: () => boolean): Promise<void> {
  let ended: string | undefined;
  void run.ended.then((e) => (ended = `child ended early (${e.code ?? e.signal}): ${e.stderr}`));
  while (!condition()) {
    if (ended) throw new Error(ended);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}


describe('a killed issuing process', () => {
  it('leaves no signed-but-unrecorded certificate and a consistent database after recovery', async () => {
    await activeRootKey(h, 0x02);
    const ids = await approvedRequests(h, 0x02, 15, 4);

    const run = startIssuanceProcess(h, { url }, ids, 4);
    await until(run, () => run.outcomes.length >= 12);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE certificate IN EXCLUSIVE MODE');
    // Each worker stops in T2, after the signed bytes of its number were committed.
    const signedReserved = () => h.db.prisma.certificateNumberAllocation.count({ where: { state: 'RESERVED', signedBytes: { not: null } } });
    while ((await signedReserved()) < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    run.child.kill('SIGKILL');
    await blocker.query('ROLLBACK');
    await blocker.end();
    const ended = await run.ended;
    expect(ended.signal).toBe('SIGKILL');
    const killedAt = new Date();
    const handedOut = run.outcomes.filter((o) => o.certificate !== undefined);

    // What the crash left: reservations whose certificate was never stored.
    const p = h.db.prisma;
    const interrupted = (await p.certificateNumberAllocation.findMany({ where: { state: 'RESERVED' }, select: { number: true } })).map((a) => a.number);
    const recovered = unwrap(await recoverInterruptedIssuances(h.ca, killedAt));
    expect(recovered).toEqual(interrupted);
    expect(interrupted).toHaveLength(4);
    // Recovery knows what the HSM signed under each of them, and says so in its audit events.
    const failures = await p.auditEvent.findMany({ where: { action: 'certificateNumber.failed', objectId: { in: interrupted.map(String) } } });
    expect(failures.map((e) => (e.details as { certificate?: string }).certificate?.length)).toEqual([212, 212, 212, 212]);

    const ledger = await checkLedger(h.db.prisma);
    expect(ledger.failed.map((f) => f.number)).toEqual(interrupted);
    expect(ledger.failed.every((f) => f.code === 'ISSUANCE_INTERRUPTED')).toBe(true);
    expect(ledger.issued).toBeGreaterThanOrEqual(handedOut.length);

    // Nothing was handed out that the database does not hold, byte for byte.
    const stored = new Map((await p.certificate.findMany({ select: { requestId: true, bytes: true } })).map((c) => [c.requestId, Buffer.from(c.bytes).toString('hex')]));
    for (const o of handedOut) expect(stored.get(o.requestId)).toBe(o.certificate);

    // An interrupted request is still APPROVED and issues under a new number.
    const stranded = await p.certificateRequest.findMany({ where: { state: 'APPROVED' }, select: { id: true } });
    expect(stranded.length).toBe(ids.length - stored.size);
    const [first] = stranded;
    const again = unwrap(await issueCertificate(h.ca, h.bob, first.id));
    const after = await checkLedger(h.db.prisma);
    expect(Number.parseInt(again.number, 16)).toBe(after.issued + after.failed.length);
    expect(unwrap(await verifyStoredChain(p)).events).toBe(await p.auditEvent.count());
  }, 600_000);
});

describe('a killed issuing process on the embedded database (PGlite)', () => {
  it('leaves a directory that reopens consistent, with nothing handed out unrecorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tqca-crash-pglite-'));
    const dataDir = join(dir, 'db');
    // The same token store as the PostgreSQL case: a process initialises a PKCS#11 module once.
    const embedded = await startHarness({ dataDir, token: h.token });
    try {
      await activeRootKey(embedded, 0x03);
      const ids = await approvedRequests(embedded, 0x03, 10, 4);
      // One PGlite directory belongs to one process: hand it to the child.
      await embedded.db.close();
      const run = startIssuanceProcess(embedded, { dataDir }, ids, 4);
      await until(run, () => run.outcomes.length >= 8);
      run.child.kill('SIGKILL');
      expect((await run.ended).signal).toBe('SIGKILL');
      const killedAt = new Date();
      const handedOut = run.outcomes.filter((o) => o.certificate !== undefined);

      // Reopening replays PostgreSQL's write-ahead log inside PGlite; the lock of the dead child is taken over.
      const reopened = await openDatabase({ dataDir });
      try {
        const ca = { ...embedded.ca, prisma: reopened.prisma };
        const interrupted = (await reopened.prisma.certificateNumberAllocation.findMany({ where: { state: 'RESERVED' }, select: { number: true } })).map((a) => a.number);
        expect(unwrap(await recoverInterruptedIssuances(ca, killedAt))).toEqual(interrupted);
        const ledger = await checkLedger(reopened.prisma);
        expect(ledger.failed.map((f) => f.number)).toEqual(interrupted);
        const stored = new Map((await reopened.prisma.certificate.findMany({ select: { requestId: true, bytes: true } })).map((c) => [c.requestId, Buffer.from(c.bytes).toString('hex')]));
        for (const o of handedOut) expect(stored.get(o.requestId)).toBe(o.certificate);
        expect(unwrap(await verifyStoredChain(reopened.prisma)).events).toBe(await reopened.prisma.auditEvent.count());
      } finally {
        await reopened.close();
      }
    } finally {
      await embedded.keys.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
