import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../bytes';
import { sm2 } from '../../crypto/sm2';
import { jsonLinesExport } from '../../log/export';
import { parseVkey, softwareSigner, type NoteSigner } from '../../log/note';
import { syntheticLog } from '../../log/synthetic';
import { runTqca } from '../testSupport';

const ORIGIN = 'tqca.example/audit';
const audit = softwareSigner(ORIGIN, 'note', sm2.generatePrivateKey());
const auditHex = toHex(audit.publicKey.bytes);
let dir: string;

async function writeExport(name: string, entries: number, witnesses: NoteSigner[], rewriteFrom?: number): Promise<string> {
  const path = join(dir, name);
  let text = '';
  const items = syntheticLog({ auditKey: audit, witnesses, entries, checkpointEvery: 4, rewriteFrom });
  for await (const line of jsonLinesExport({ origin: ORIGIN, auditKey: audit.publicKey, witnesses, items })) text += line;
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tqca-log-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('tqca log', () => {
  it('witness-keygen makes an owner-only key; a witness cosigns, and verify counts its cosignature towards the quorum', async () => {
    const keyFile = join(dir, 'w.key');
    const keygen = await runTqca(['log', 'witness-keygen', '--out', keyFile, '--name', 'auditor.example/w1', '--json']);
    expect(keygen.exitCode).toBe(0);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const vkey: string = keygen.json.vkey;
    expect(parseVkey(vkey).ok).toBe(true);
    expect((await runTqca(['log', 'witness-keygen', '--out', keyFile, '--name', 'auditor.example/w1'])).json.error.code).toBe('LOG_KEY_FILE');

    const first = await writeExport('first.jsonl', 10, []);
    const request = await runTqca(['log', 'witness-request', first, '--old', '0', '--audit-key', auditHex]);
    expect(request.exitCode).toBe(0);
    await writeFile(join(dir, 'request'), request.stdout);
    const state = join(dir, 'state');
    const cosigned = await runTqca(['log', 'witness', join(dir, 'request'), '--key', keyFile, '--state', state, '--audit-key', auditHex, '--json']);
    expect(cosigned.json).toMatchObject({ valid: true, size: 10, previousSize: 0 });
    expect(cosigned.json.checkpoint).toContain('— auditor.example/w1 ');
    expect(await readFile(join(state, 'checkpoint'), 'utf8')).toBe(cosigned.json.checkpoint);

    // The witness refuses a rewritten history at a larger size, whose checkpoints the real audit key signed.
    const forked = await writeExport('forked.jsonl', 14, [], 3);
    const forkRequest = await runTqca(['log', 'witness-request', forked, '--old', '10', '--audit-key', auditHex]);
    await writeFile(join(dir, 'fork-request'), forkRequest.stdout);
    const refused = await runTqca(['log', 'witness', join(dir, 'fork-request'), '--key', keyFile, '--state', state, '--audit-key', auditHex]);
    expect(refused.exitCode).toBe(1);
    expect(refused.json.error).toMatchObject({ code: 'LOG_WITNESS_CONFLICT', details: { witnessSize: 10, size: 14 } });

    await chmod(keyFile, 0o644);
    expect((await runTqca(['log', 'witness', join(dir, 'request'), '--key', keyFile, '--state', state, '--audit-key', auditHex])).json.error.code).toBe('LOG_KEY_FILE');
    await chmod(keyFile, 0o600);

    // An export whose checkpoints the witness cosigned verifies with a quorum of one.
    const witnessKey = softwareSigner('auditor.example/w1', 'cosignature', new Uint8Array(Buffer.from(JSON.parse(await readFile(keyFile, 'utf8')).privateKey, 'hex')));
    const cosignedExport = await writeExport('cosigned.jsonl', 10, [witnessKey]);
    const verified = await runTqca(['log', 'verify', cosignedExport, '--audit-key', auditHex, '--witness', vkey, '--quorum', '1']);
    expect(verified.json).toMatchObject({ valid: true, entries: 10, attested: 10, unattested: 0, lastCheckpoint: { cosigners: ['auditor.example/w1'] } });
    const noQuorum = await runTqca(['log', 'verify', first, '--audit-key', auditHex, '--witness', vkey, '--quorum', '1']);
    expect(noQuorum).toMatchObject({ exitCode: 1, json: { error: { code: 'LOG_QUORUM' } } });
  });

  it('verify takes an export or --live, never both or neither (exit 2)', async () => {
    const both = await runTqca(['--json', 'log', 'verify', '--live', 'package.json']);
    const neither = await runTqca(['--json', 'log', 'verify']);
    expect([both.exitCode, both.json.error.code, neither.exitCode, neither.json.error.code]).toEqual([2, 'USAGE', 2, 'USAGE']);
  });

  it('verify names the first bad entry; consistency tells an extension from a rewrite; prove and check-proof round-trip', async () => {
    const older = await writeExport('older.jsonl', 9, []);
    const newer = await writeExport('newer.jsonl', 17, []);
    const rewritten = await writeExport('rewritten.jsonl', 17, [], 6);

    const lines = (await readFile(older, 'utf8')).split('\n');
    const i = lines.findIndex((l) => l.includes('"seq":5,'));
    lines[i] = lines[i].replace('"actor":"', '"actor":"x');
    await writeFile(join(dir, 'tampered.jsonl'), lines.join('\n'));
    const tampered = await runTqca(['log', 'verify', join(dir, 'tampered.jsonl'), '--audit-key', auditHex]);
    expect(tampered).toMatchObject({ exitCode: 1, json: { valid: false, error: { code: 'LOG_CHAIN_BROKEN', field: 'hash', details: { seq: 5, line: i + 1 } } } });

    expect((await runTqca(['log', 'consistency', older, newer, '--audit-key', auditHex])).json).toMatchObject({ valid: true, consistent: true });
    const fork = await runTqca(['log', 'consistency', older, rewritten, '--audit-key', auditHex]);
    expect(fork).toMatchObject({ exitCode: 1, json: { consistent: false, error: { code: 'LOG_INCONSISTENT', details: { size: 8 } } } });

    const proof = await runTqca(['log', 'prove', newer, '--seq', '11', '--audit-key', auditHex]);
    expect(proof.stdout).toMatch(/^c2sp\.org\/tlog-proof@v1\nextra [A-Za-z0-9+/=]+\nindex 10\n/);
    await writeFile(join(dir, 'entry11.tlog-proof'), proof.stdout);
    const checked = await runTqca(['log', 'check-proof', join(dir, 'entry11.tlog-proof'), '--audit-key', auditHex]);
    expect(checked.json).toMatchObject({ valid: true, seq: 11, checkpoint: { origin: ORIGIN, size: 17 } });
    const otherKey = toHex(sm2.publicKeyFromPrivate(sm2.generatePrivateKey()).bytes);
    expect((await runTqca(['log', 'check-proof', join(dir, 'entry11.tlog-proof'), '--audit-key', otherKey])).json.error.code).toBe('LOG_NOTE_UNSIGNED');
  });

  it('bad command lines are usage errors (exit 2)', async () => {
    const missing = await runTqca(['log', 'verify', join(dir, 'nope.jsonl'), '--audit-key', auditHex]);
    expect(missing).toMatchObject({ exitCode: 2, json: { error: { code: 'USAGE', details: { cause: { code: 'INPUT_UNREADABLE' } } } } });
    expect((await runTqca(['log', 'verify', join(dir, 'older.jsonl'), '--audit-key', auditHex, '--witness', 'not-a-vkey'])).exitCode).toBe(2);
  });
});
