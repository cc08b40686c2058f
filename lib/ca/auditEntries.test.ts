/**
 * The console's reading of the audit log on the software token and PGlite: filters and keyset
 * pages over the stored events, an entry's inclusion proof verified (and failing once a stored
 * leaf is rewritten), checkpoints with their witnesses' cosignatures, and the export the console
 * streams: byte for byte what exportLog writes, verified by the offline verifier, its size known
 * up front, refused to administrators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type Result } from '../errors';
import { addOperator, startHarness, type Harness } from '../../test/e2e/harness';
import { sm2 } from '../crypto/sm2';
import { cosignCheckpoint } from '../log/checkpoint';
import { encodeVkey, parseNote, softwareSigner, type NoteSigner } from '../log/note';
import { checkInclusionProof } from '../log/proof';
import { verifyExport } from '../log/verify';
import { streamLines } from '../server/streamLines';
import { createApiToken } from './apiTokens';
import { auditEntry, listCheckpoints, searchAuditEntries, sizedExport, type Cursor, type KeysetPage } from './auditEntries';
import { approveAuditKey, exportLog, requestAuditKey, signLogCheckpoint } from './auditLog';
import type { Operator } from './context';
import { LogWatch } from './logIntegrity';
import { createInstitution } from './institutions';
import { addCosignatures, latestCheckpoint, registerWitnessKey } from './witnesses';

let h: Harness;
let carol: Operator;
let witness: NoteSigner;
const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const auditKey = async () => unwrap(sm2.publicKeyFromBytes(new Uint8Array((await h.db.prisma.auditKey.findUniqueOrThrow({ where: { id: 1 } })).publicKey)));

beforeAll(async () => {
  h = await startHarness();
  carol = await addOperator(h, 'carol', 'AUDITOR');
  unwrap(await approveAuditKey(h.ca, h.bob, unwrap(await requestAuditKey(h.ca, h.alice, 'tqca.test/audit')).id));
  unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
  witness = softwareSigner('witness.example', 'cosignature', sm2.generatePrivateKey());
  const institutionId = unwrap(await createInstitution(h.ca, h.admin, { kind: 'PLATFORM', nameZh: '审计见证机构' })).id;
  unwrap(await registerWitnessKey(h.ca, h.admin, { institutionId, vkey: encodeVkey(witness) }));
  const token = unwrap(await createApiToken(h.ca, h.admin, { institutionId, scope: 'WITNESS', label: 'witness', expiresAt: new Date(Date.now() + 86_400_000) }));
  const row = await h.db.prisma.apiToken.findUniqueOrThrow({ where: { publicId: token.view.id } });
  unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
  const latest = (await latestCheckpoint(h.ca))!;
  const cosigned = unwrap(await cosignCheckpoint(unwrap(parseNote(latest.note)), witness, 1_764_590_000n));
  unwrap(await addCosignatures(h.ca, { tokenId: row.id, publicId: row.publicId, institutionId, institutionCode: token.view.institutionCode, scope: 'WITNESS' }, cosigned));
}, 300_000);
afterAll(() => h?.close());

/** Every page from the newest to the oldest, then back up through the `newer` cursors. */
async function walk<T>(page: (cursor: Cursor) => Promise<Result<KeysetPage<T>>>, key: (row: T) => string): Promise<{ down: string[]; up: string[] }> {
  const down: string[] = [];
  let current = unwrap(await page({}));
  expect(current.newer).toBeNull();
  for (;;) {
    down.push(...current.rows.map(key));
    if (current.older === null) break;
    current = unwrap(await page({ before: BigInt(current.older) }));
  }
  const up: string[] = [...current.rows.map(key)];
  while (current.newer !== null) {
    current = unwrap(await page({ after: BigInt(current.newer) }));
    up.unshift(...current.rows.map(key));
  }
  return { down, up };
}

describe('reading the audit log', () => {
  it('pages every entry newest first by sequence, and back again', async () => {
    const all = (await h.db.prisma.auditEvent.findMany({ orderBy: { seq: 'desc' }, select: { seq: true } })).map((e) => String(e.seq));
    expect(all.length).toBeGreaterThan(10);
    const { down, up } = await walk((cursor) => searchAuditEntries(h.ca, carol, {}, cursor, 4), (e) => e.seq);
    expect(down).toEqual(all);
    expect(up).toEqual(all);
  });

  it('filters by actor, action (exact or prefix), object and time', async () => {
    const rows = async (filter: Parameters<typeof searchAuditEntries>[2]) => unwrap(await searchAuditEntries(h.ca, carol, filter, {}, 500)).rows;
    const byBob = await rows({ actor: 'bob' });
    expect(byBob.length).toBeGreaterThan(0);
    expect(byBob.every((e) => e.actor === 'bob')).toBe(true);
    const signed = await rows({ action: 'log.checkpointSigned' });
    expect(signed.map((e) => e.objectId)).toEqual((await h.db.prisma.auditCheckpoint.findMany({ orderBy: { size: 'desc' } })).map((c) => String(c.size)));
    const logActions = await rows({ action: 'log.' });
    expect(new Set(logActions.map((e) => e.action))).toEqual(new Set(['log.checkpointSigned', 'log.witnessKeyRegistered', 'log.cosigned']));
    const [checkpoint] = signed;
    expect((await rows({ object: `checkpoint:${checkpoint!.objectId}` })).map((e) => e.action).sort()).toEqual(['log.checkpointSigned', 'log.cosigned']);
    expect((await rows({ object: 'auditKey' })).map((e) => e.action)).toEqual(['auditKey.created']);
    const middle = await h.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 5n } });
    const inWindow = await rows({ from: middle.time, to: new Date(middle.time.getTime() + 1) });
    expect(inWindow.map((e) => e.seq)).toContain('5');
    expect(inWindow.every((e) => e.time.getTime() === middle.time.getTime())).toBe(true);
    expect(await rows({ actor: 'nobody' })).toEqual([]);
  });

  it('shows an entry with its canonical line and an inclusion proof against the latest checkpoint, verified', async () => {
    const latest = (await latestCheckpoint(h.ca))!;
    const entry = unwrap(await auditEntry(h.ca, carol, 3n));
    expect(entry.hashVerified).toBe(true);
    expect(JSON.parse(entry.line)).toMatchObject({ type: 'entry', seq: 3, hash: entry.hash });
    expect(entry.inclusion).toMatchObject({ checkpointSize: latest.size, checkpoint: latest.note, verified: true });
    expect(entry.inclusion!.path.length).toBeGreaterThan(0);
    // The proof text checks offline too, and counts the witness's cosignature.
    const checked = unwrap(checkInclusionProof(entry.inclusion!.proof, await auditKey(), [witness], 1));
    expect(checked.seq).toBe(3);
    // After the latest checkpoint: nothing proves it yet.
    const head = await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    expect(unwrap(await auditEntry(h.ca, carol, head.seq)).inclusion).toBeNull();
    expect(code(await auditEntry(h.ca, carol, head.seq + 1n))).toBe('AUDIT_ENTRY_UNKNOWN');
  });

  it('lists checkpoints largest first with their witnesses’ cosignatures', async () => {
    const stored = (await h.db.prisma.auditCheckpoint.findMany({ orderBy: { size: 'desc' } })).map((c) => String(c.size));
    const { down } = await walk((cursor) => listCheckpoints(h.ca, carol, cursor, 1), (c) => String(c.size));
    expect(down).toEqual(stored);
    const [newest, older] = unwrap(await listCheckpoints(h.ca, carol)).rows;
    expect(newest!.cosignatures.map((s) => s.witness)).toEqual(['witness.example']);
    expect(newest!.note).toBe((await latestCheckpoint(h.ca))!.note);
    expect(older!.cosignatures).toEqual([]);
  });

  it('streams the JSON Lines export byte for byte as exportLog writes it, verified offline, with its size known up front', async () => {
    expect(code(await sizedExport(h.ca, h.admin, 'jsonl'))).toBe('OPERATOR_FORBIDDEN');
    const sized = unwrap(await sizedExport(h.ca, h.alice, 'jsonl'));
    const consoleBytes = new Uint8Array(await new Response(streamLines(sized.lines)).arrayBuffer());
    const text = new TextDecoder().decode(consoleBytes);
    const lines = text.split('\n').slice(0, -1);
    expect(lines).toHaveLength(sized.lineCount);
    const summary = unwrap(await verifyExport(lines, { auditKey: await auditKey(), witnesses: [witness], quorum: 1 }));
    expect(summary.entries).toBe(sized.entries);
    expect(summary.entries).toBe(sized.checkpoint.size);
    // exportLog right after signs a larger checkpoint (the first export's own events come after
    // its size): every line of the console's file but its end line is, byte for byte, a prefix of it.
    const later = unwrap(await exportLog(h.ca, carol, { format: 'jsonl', certificatesOnly: false }));
    let cli = '';
    for await (const line of later.lines) cli += line;
    const withoutEnd = text.slice(0, text.lastIndexOf('{"type":"end"'));
    expect(Buffer.from(cli).subarray(0, Buffer.byteLength(withoutEnd)).equals(Buffer.from(withoutEnd))).toBe(true);
    expect(cli.length).toBeGreaterThan(withoutEnd.length);
    const exported = await h.db.prisma.auditEvent.findMany({ where: { action: 'log.exported' }, orderBy: { seq: 'asc' } });
    expect(exported.map((e) => [e.actor, e.details])).toEqual([
      ['alice', { size: sized.checkpoint.size, format: 'jsonl', certificatesOnly: false }],
      ['carol', { size: later.checkpoint.size, format: 'jsonl', certificatesOnly: false }],
    ]);
  });

  it('streams CSV and the certificate log with their row counts', async () => {
    const csv = unwrap(await sizedExport(h.ca, carol, 'csv'));
    const rows = (await new Response(streamLines(csv.lines)).text()).split('\r\n').slice(0, -1);
    expect(rows).toHaveLength(csv.lineCount);
    expect(csv.entries).toBe(csv.checkpoint.size);
    const certificates = unwrap(await sizedExport(h.ca, carol, 'certificates'));
    const certificateRows = (await new Response(streamLines(certificates.lines)).text()).split('\r\n').slice(0, -1);
    expect(certificateRows).toHaveLength(certificates.lineCount);
    expect(certificates.entries).toBe(await h.db.prisma.auditEvent.count({ where: { objectType: 'certificate', seq: { lte: BigInt(certificates.checkpoint.size) } } }));
  });

  it('keeps the live check’s last result for the pages, and the failure once the log is damaged', async () => {
    const watch = new LogWatch(h.ca, { raise: () => undefined, record: false });
    expect(watch.lastCheck).toBeNull();
    const report = unwrap(await watch.check());
    expect(watch.lastCheck).toMatchObject({ result: { ok: true, value: report } });
    expect(report.events).toBe(Number((await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).seq));
  });

  it('fails the inclusion proof once a stored leaf is rewritten, and so does the live check', async () => {
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_leaf DISABLE TRIGGER USER`);
    await h.db.prisma.$executeRawUnsafe(`UPDATE audit_leaf SET hash = '\\x${'00'.repeat(32)}' WHERE seq = 1`);
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_leaf ENABLE TRIGGER USER`);
    const entry = unwrap(await auditEntry(h.ca, carol, 3n));
    expect(entry.inclusion).toMatchObject({ verified: false, failure: { code: 'LOG_PROOF_INVALID' } });
    const watch = new LogWatch(h.ca, { raise: () => undefined, record: false });
    await watch.check();
    expect(watch.lastCheck?.result).toMatchObject({ ok: false, error: { code: 'AUDIT_LOG_TAMPERED' } });
  });
});
