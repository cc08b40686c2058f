/**
 * Witness cosignatures through the service, on the software token and PGlite: an administrator
 * registers the witness key (audited), a WITNESS token's cosignature is stored only when it
 * verifies under that key for a checkpoint the CA signed, and the export then carries it, so the
 * offline verifier's witness quorum passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type Result } from '../errors';
import { addOperator, startHarness, type Harness } from '../../test/e2e/harness';
import { sm2 } from '../crypto/sm2';
import { cosignCheckpoint } from '../log/checkpoint';
import { verifyConsistency } from '../log/merkle';
import { decodeBase64, encodeVkey, parseNote, softwareSigner, type NoteSigner } from '../log/note';
import { verifyExport } from '../log/verify';
import { SM3_TREE } from '../audit';
import { createApiToken, type ApiClient } from './apiTokens';
import { approveAuditKey, exportLog, requestAuditKey, signLogCheckpoint } from './auditLog';
import { createInstitution } from './institutions';
import { addCosignatures, latestCheckpoint, logConsistencyProof, registerWitnessKey } from './witnesses';

let h: Harness;
let witness: NoteSigner;
let stranger: NoteSigner;
let client: ApiClient;
let institutionId: number;
const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const cosign = async (note: string, signer: NoteSigner) => unwrap(await cosignCheckpoint(unwrap(parseNote(note)), signer, 1_764_590_000n));

beforeAll(async () => {
  h = await startHarness();
  unwrap(await approveAuditKey(h.ca, h.bob, unwrap(await requestAuditKey(h.ca, h.alice, 'tqca.test/audit')).id));
  unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
  witness = softwareSigner('witness.example', 'cosignature', sm2.generatePrivateKey());
  stranger = softwareSigner('stranger.example', 'cosignature', sm2.generatePrivateKey());
  institutionId = unwrap(await createInstitution(h.ca, h.admin, { kind: 'PLATFORM', nameZh: '审计见证机构' })).id;
  const token = unwrap(await createApiToken(h.ca, h.admin, { institutionId, scope: 'WITNESS', label: 'witness', expiresAt: new Date(Date.now() + 86_400_000) }));
  const row = await h.db.prisma.apiToken.findUniqueOrThrow({ where: { publicId: token.view.id } });
  client = { tokenId: row.id, publicId: row.publicId, institutionId, institutionCode: token.view.institutionCode, scope: 'WITNESS' };
}, 120_000);
afterAll(() => h?.close());

describe('witness keys and cosignatures', () => {
  it('registers a witness key by an administrator only, a cosignature vkey only, once, audited', async () => {
    expect(code(await registerWitnessKey(h.ca, h.alice, { institutionId, vkey: encodeVkey(witness) }))).toBe('OPERATOR_FORBIDDEN');
    const noteKey = softwareSigner('note.example', 'note', sm2.generatePrivateKey());
    expect(code(await registerWitnessKey(h.ca, h.admin, { institutionId, vkey: encodeVkey(noteKey) }))).toBe('WITNESS_KEY_KIND');
    expect(code(await registerWitnessKey(h.ca, h.admin, { institutionId, vkey: 'not a vkey' }))).toBe('LOG_VKEY_INVALID');
    const key = unwrap(await registerWitnessKey(h.ca, h.admin, { institutionId, vkey: encodeVkey(witness) }));
    expect(key).toMatchObject({ name: 'witness.example', institutionId });
    expect(code(await registerWitnessKey(h.ca, h.admin, { institutionId, vkey: encodeVkey(witness) }))).toBe('WITNESS_KEY_EXISTS');
    const event = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'log.witnessKeyRegistered' } });
    expect(event).toMatchObject({ actor: 'admin', objectId: String(key.id) });
  });

  it('gives a witness the latest checkpoint and a consistency proof it verifies', async () => {
    const first = (await latestCheckpoint(h.ca))!;
    unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
    const second = (await latestCheckpoint(h.ca))!;
    expect(second.size).toBeGreaterThan(first.size);
    const proof = unwrap(await logConsistencyProof(h.ca, first.size, second.size));
    const root = (n: string) => decodeBase64(unwrap(parseNote(n)).text.split('\n')[2]!)!;
    const hashes = proof.proof.map((p) => decodeBase64(p)!);
    expect(verifyConsistency(SM3_TREE, first.size, second.size, hashes, root(first.note), root(second.note)).ok).toBe(true);
    expect(code(await logConsistencyProof(h.ca, first.size, second.size + 1))).toBe('CHECKPOINT_UNKNOWN');
    expect(code(await logConsistencyProof(h.ca, second.size + 1, second.size))).toBe('PROOF_SIZES_INVALID');
  });

  it('stores a cosignature only when it verifies under the institution’s witness key, of a checkpoint the CA signed', async () => {
    const latest = (await latestCheckpoint(h.ca))!;
    expect(code(await addCosignatures(h.ca, client, await cosign(latest.note, stranger)))).toBe('COSIGNATURE_UNVERIFIED');
    // Another tree at the same size, signed by nobody the CA knows.
    const forged = latest.note.replace(/\n([A-Za-z0-9+/=]{44})\n/, '\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n');
    expect(forged).not.toBe(latest.note);
    expect(code(await addCosignatures(h.ca, client, await cosign(forged, witness)))).toBe('CHECKPOINT_UNKNOWN');
    // The right key name and ID, a signature that does not verify.
    const cosigned = await cosign(latest.note, witness);
    const lines = cosigned.split('\n');
    lines[lines.length - 2] = lines[lines.length - 2]!.slice(0, -6) + 'AAAAA=';
    expect(code(await addCosignatures(h.ca, client, lines.join('\n')))).toBe('LOG_NOTE_SIGNATURE_INVALID');
    const otherInstitution = { ...client, institutionId: h.issuerId };
    expect(code(await addCosignatures(h.ca, otherInstitution, cosigned))).toBe('COSIGNATURE_UNVERIFIED');
    expect(await h.db.prisma.auditCosignature.count()).toBe(0);

    const stored = unwrap(await addCosignatures(h.ca, client, cosigned));
    expect(stored).toMatchObject({ size: latest.size, added: ['witness.example'], note: cosigned });
    expect(unwrap(await addCosignatures(h.ca, client, cosigned)).added).toEqual([]);
    expect((await latestCheckpoint(h.ca))!.note).toBe(cosigned);
    // The stored cosignature does not carry an unregistered one in with it.
    expect(code(await addCosignatures(h.ca, client, await cosign(cosigned, stranger)))).toBe('COSIGNATURE_UNVERIFIED');
    expect(await h.db.prisma.auditEvent.count({ where: { action: 'log.cosigned', objectId: String(latest.size) } })).toBe(1);
  });

  it('puts the stored cosignatures in the export, where the witness quorum counts them', async () => {
    const carol = await addOperator(h, 'carol', 'AUDITOR');
    const exported = unwrap(await exportLog(h.ca, carol, { format: 'jsonl', certificatesOnly: false }));
    const lines: string[] = [];
    for await (const line of exported.lines) lines.push(...line.split('\n').filter((l) => l !== ''));
    const auditKey = unwrap(sm2.publicKeyFromBytes(new Uint8Array((await h.db.prisma.auditKey.findUniqueOrThrow({ where: { id: 1 } })).publicKey)));
    const cosignedSize = Number((await h.db.prisma.auditCosignature.findFirstOrThrow()).checkpointSize);
    const witnessed = unwrap(await verifyExport(lines, { auditKey, witnesses: [witness], quorum: 1 }));
    expect(witnessed.attested).toBe(cosignedSize);
    // Without the stored cosignature no checkpoint meets the quorum.
    const stripped = lines.map((l) => l.replace(/— witness\.example [^\\]+\\n/, ''));
    expect(stripped).not.toEqual(lines);
    expect(code(await verifyExport(stripped, { auditKey, witnesses: [witness], quorum: 1 }))).toBe('LOG_QUORUM');
  });
});
