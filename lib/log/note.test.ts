import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import { checkpointText, parseCheckpointText, signCheckpoint, verifyCheckpointNote } from './checkpoint';
import { auditNoteKey } from './exportFormat';
import { encodeVkey, formatNote, keyId, noteTypeBytes, parseNote, parseVkey, signNote, softwareSigner, verifyNote } from './note';

const audit = softwareSigner('tqca.example/audit', 'note', sm2.generatePrivateKey());
const witness = softwareSigner('w.example/1', 'cosignature', sm2.generatePrivateKey());
const root = new Uint8Array(32).fill(0xab);

describe('keys', () => {
  it('key ID is SHA-256(name ‖ 0x0A ‖ 0xff ‖ identifier ‖ X ‖ Y)[:4], and the vkey round-trips', () => {
    const expected = createHash('sha256').update(concat(new TextEncoder().encode('tqca.example/audit\n'), Uint8Array.of(0xff), new TextEncoder().encode('tqca/sm2-sm3-note@v1\n'), audit.publicKey.bytes)).digest().subarray(0, 4);
    expect(toHex(keyId(audit.name, 'note', audit.publicKey))).toBe(toHex(expected));
    expect(noteTypeBytes('cosignature')[0]).toBe(0xff);
    const vkey = encodeVkey(witness);
    expect(unwrap(parseVkey(vkey))).toMatchObject({ name: witness.name, kind: 'cosignature' });
  });

  it.each([
    ['no parts', 'abc'],
    ['a wrong key ID', (v: string) => v.replace(/\+[0-9a-f]{8}\+/, '+00000000+')],
    ['another type', (v: string) => v.replace(/\+[^+]*$/, `+${Buffer.from([1, ...witness.publicKey.bytes]).toString('base64')}`)],
    ['a point off the curve', (v: string) => v.replace(/\+[^+]*$/, `+${Buffer.from([...noteTypeBytes('cosignature'), ...new Uint8Array(64).fill(1)]).toString('base64')}`)],
  ])('refuses a vkey with %s', (_what, make) => {
    const text = typeof make === 'string' ? make : make(encodeVkey(witness));
    expect(parseVkey(text).ok).toBe(false);
  });
});

describe('signed notes', () => {
  const text = checkpointText({ origin: audit.name, size: 5, root });

  it('ignores signatures of unknown keys, even with a known name or a known key ID, but not both', async () => {
    const mine = unwrap(await signNote(text, audit));
    const impostor = softwareSigner(audit.name, 'note', sm2.generatePrivateKey());
    const theirs = unwrap(await signNote(text, impostor));
    const sameIdOtherName = { ...theirs, name: 'other.example/log', keyId: mine.keyId };
    const note = unwrap(parseNote(formatNote({ text, signatures: [theirs, sameIdOtherName, mine] })));
    expect(unwrap(verifyNote(note, [audit]))).toMatchObject({ verified: [{ key: audit }], ignored: 2 });
  });

  it.each([
    ['no blank line', 'a\nb\n'],
    ['no final newline', 'a\n\n— k AAAAAAA='],
    ['a control character', 'a\tb\n\n— k AAAAAAAA\n'],
    ['a bad signature line', 'a\n\n- k AAAAAAAA\n'],
    ['non-canonical base64', 'a\n\n— k AAAAAAAB\n'.replace('AAAAAAAB', 'AAAAAB==')],
  ])('refuses a note with %s', (_what, noteText) => {
    expect(parseNote(noteText).ok).toBe(false);
  });

  it('a cosignature carries its timestamp and signs cosignature/v1, time and the text', async () => {
    const c = unwrap(await signNote(text, witness, 1780272000n));
    expect(new DataView(c.signature.buffer, c.signature.byteOffset).getBigUint64(0)).toBe(1780272000n);
    const verified = unwrap(verifyNote({ text, signatures: [c] }, [witness]));
    expect(verified.verified[0].timestamp).toBe(1780272000n);
    const restamped = { ...c, signature: c.signature.map((b, i) => (i === 7 ? b ^ 1 : b)) };
    expect(verifyNote({ text, signatures: [restamped] }, [witness])).toMatchObject({ ok: false, error: { code: 'LOG_NOTE_SIGNATURE_INVALID' } });
  });
});

describe('checkpoints', () => {
  it('parse strictly: three lines, decimal size without leading zeros, canonical base64 of 32 bytes', () => {
    expect(unwrap(parseCheckpointText(checkpointText({ origin: 'o', size: 0, root })))).toMatchObject({ origin: 'o', size: 0 });
    for (const bad of ['o\n01\nq6ur\n', 'o\n1\nq6ur\n', `o\n1\n${Buffer.from(root).toString('base64')}\next\n`, `\n1\n${Buffer.from(root).toString('base64')}\n`]) {
      expect(parseCheckpointText(bad)).toMatchObject({ ok: false, error: { code: 'LOG_CHECKPOINT_MALFORMED' } });
    }
  });

  it('need the audit key’s signature under the origin’s name', async () => {
    const note = unwrap(await signCheckpoint({ origin: audit.name, size: 3, root }, audit));
    const policy = { origin: audit.name, auditKey: auditNoteKey(audit.name, audit.publicKey), witnesses: [witness] };
    expect(unwrap(verifyCheckpointNote(note, policy)).checkpoint.size).toBe(3);
    expect(verifyCheckpointNote(note, { ...policy, origin: 'other' })).toMatchObject({ ok: false, error: { code: 'LOG_CHECKPOINT_ORIGIN' } });
    const other = sm2.publicKeyFromPrivate(sm2.generatePrivateKey());
    expect(verifyCheckpointNote(note, { ...policy, auditKey: auditNoteKey(audit.name, other) })).toMatchObject({ ok: false, error: { code: 'LOG_NOTE_UNSIGNED' } });
    expect((await signCheckpoint({ origin: 'other', size: 3, root }, audit)).ok).toBe(false);
  });
});
