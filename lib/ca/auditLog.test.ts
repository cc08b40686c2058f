/**
 * The audit key and signed checkpoints on the software token and PGlite: the dual-controlled
 * ceremony, checkpoints signed through the HSM that verify with lib/log's verifier under the
 * published vkey, the schedule, and a tampered leaf refused before anything is signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type Result } from '../errors';
import { addOperator, startHarness, type Harness } from '../../test/e2e/harness';
import { verifyCheckpointNote } from '../log/checkpoint';
import { parseVkey } from '../log/note';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sm2 } from '../crypto/sm2';
import { exportLines, verifyExport } from '../log/verify';
import { authenticate } from './operators';
import { PASSWORD } from '../../test/e2e/harness';
import { approveAuditKey, checkpointDue, exportLog, getAuditKey, requestAuditKey, runCheckpointSchedule, signLogCheckpoint } from './auditLog';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const ORIGIN = 'tqca.test/audit';

describe('the audit key and checkpoints', () => {
  it('cannot sign before the audit key exists', async () => {
    expect(code(await signLogCheckpoint(h.ca, h.alice, 'operator'))).toBe('AUDIT_KEY_MISSING');
  });

  it('makes the audit key under dual control in the HSM and publishes its vkey and check value', async () => {
    const carol = await addOperator(h, 'carol', 'AUDITOR');
    expect(code(await requestAuditKey(h.ca, carol, ORIGIN))).toBe('OPERATOR_FORBIDDEN');
    expect(code(await requestAuditKey(h.ca, h.alice, 'has space'))).toBe('AUDIT_ORIGIN_INVALID');
    const ceremony = unwrap(await requestAuditKey(h.ca, h.alice, ORIGIN));
    expect(code(await requestAuditKey(h.ca, h.bob, ORIGIN))).toBe('AUDIT_KEY_EXISTS');
    expect(code(await approveAuditKey(h.ca, h.alice, ceremony.id))).toBe('DUAL_CONTROL_SAME_OFFICER');
    const key = unwrap(await approveAuditKey(h.ca, h.bob, ceremony.id));
    expect(key.vkey.startsWith(`${ORIGIN}+${key.keyId}+`)).toBe(true);
    expect(await getAuditKey(h.ca)).toEqual(key);
    // The private key is in the token: found there by the label the ceremony gave it.
    expect(unwrap(await h.keys.findKey({ label: `tqca-audit-${ceremony.id}` })).publicKey).toEqual(Uint8Array.from(Buffer.from(key.publicKey, 'hex')));
    const events = await h.db.prisma.auditEvent.findMany({ where: { objectType: { in: ['auditKeyCeremony', 'auditKey'] } }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.action)).toEqual(['auditKey.ceremony.requested', 'auditKey.ceremony.approved', 'auditKey.created']);
    expect(code(await requestAuditKey(h.ca, h.alice, ORIGIN))).toBe('AUDIT_KEY_EXISTS');
  });

  it('signs checkpoints through the HSM that verify under the published key, each audited after its size', async () => {
    const policy = { origin: ORIGIN, auditKey: unwrap(parseVkey((await getAuditKey(h.ca))!.vkey)), witnesses: [] };
    const head = await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    const first = unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
    expect(first.size).toBe(Number(head.seq));
    const verified = unwrap(verifyCheckpointNote(first.note, policy));
    expect(verified.checkpoint).toMatchObject({ origin: ORIGIN, size: first.size, root: first.root });
    const signing = await h.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(first.size) + 1n } });
    expect(signing).toMatchObject({ action: 'log.checkpointSigned', objectId: String(first.size), actor: 'alice' });

    // The next one covers the signing event and extends the first.
    const second = unwrap(await signLogCheckpoint(h.ca, 'system', 'scheduled'));
    expect(second.size).toBe(first.size + 1);
    expect((await h.db.prisma.auditCheckpoint.findMany()).map((c) => Number(c.size))).toEqual([first.size, second.size]);
    await expect(h.db.prisma.$executeRawUnsafe(`UPDATE audit_checkpoint SET note = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('signs on schedule: after N entries, or M minutes when events are pending', async () => {
    const schedule = { everyEntries: 3, everyMinutes: 60 };
    expect(await checkpointDue(h.ca, schedule)).toBe(false); // only the last signing event is pending
    expect(unwrap(await runCheckpointSchedule(h.ca, schedule))).toBeNull();
    await addOperator(h, 'dave', 'AUDITOR'); // governed change: several events
    expect(await checkpointDue(h.ca, schedule)).toBe(true);
    const signed = unwrap(await runCheckpointSchedule(h.ca, schedule));
    expect(signed?.size).toBe(Number((await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).seq) - 1);
    const later = { ...h.ca, now: () => new Date(Date.now() + 61 * 60_000) };
    expect(await checkpointDue(later, schedule)).toBe(true);
  });

  it('exports the stored log for auditors (and officers, not administrators) with its checkpoints and a fresh one, verifying under the audit key', async () => {
    expect(code(await exportLog(h.ca, h.admin, { format: 'jsonl', certificatesOnly: false }))).toBe('OPERATOR_FORBIDDEN');
    const carol = unwrap(await authenticate(h.ca, 'carol', PASSWORD));
    const exported = unwrap(await exportLog(h.ca, carol, { format: 'jsonl', certificatesOnly: false }));
    const dir = await mkdtemp(join(tmpdir(), 'tqca-export-'));
    try {
      const path = join(dir, 'log.jsonl');
      let text = '';
      for await (const line of exported.lines) text += line;
      await writeFile(path, text);
      const auditKey = unwrap(sm2.publicKeyFromBytes(Uint8Array.from(Buffer.from((await getAuditKey(h.ca))!.publicKey, 'hex'))));
      const summary = unwrap(await verifyExport(exportLines(path), { auditKey }));
      expect(summary.entries).toBe(exported.checkpoint.size);
      expect(summary.checkpoints).toBe(await h.db.prisma.auditCheckpoint.count());
      const audited = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'log.exported' } });
      expect(audited.seq).toBe(BigInt(exported.checkpoint.size) + 2n); // after the export's checkpoint and its signing
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to sign when the stored tree no longer extends the last checkpoint, and stores nothing', async () => {
    const before = await h.db.prisma.auditCheckpoint.count();
    // Every leaf and stored subtree changed: whatever hashes the consistency proof takes are wrong.
    for (const table of ['audit_leaf', 'audit_node']) {
      await h.db.prisma.$executeRawUnsafe(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      await h.db.prisma.$executeRawUnsafe(`UPDATE ${table} SET hash = sha256(hash)`);
      await h.db.prisma.$executeRawUnsafe(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
    expect(code(await signLogCheckpoint(h.ca, h.alice, 'operator'))).toBe('CHECKPOINT_INCONSISTENT');
    expect(await h.db.prisma.auditCheckpoint.count()).toBe(before);
  });
});
