// docs/log-format.md's worked example, recomputed: the document cannot drift from the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { sm3 } from '../crypto/sm3';
import { unwrap } from '../errors';
import { decodeEntryLine } from './entry';
import { leafHash, nodeHash, SM3_TREE } from './merkle';
import { encodeVkey, parseVkey, softwareSigner } from './note';
import { checkInclusionProof } from './proof';
import { verifyExport } from './verify';
import { checkpointText, signCheckpoint, verifyCheckpointNote } from './checkpoint';
import { auditNoteKey } from './exportFormat';
import { cosignedMessage, parseNote } from './note';
import { smCryptoSign, smCryptoVerify } from '../../test/support/smCryptoSm2';

const doc = readFileSync(new URL('../../docs/log-format.md', import.meta.url), 'utf8');

function block(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`text\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m) throw new Error(`docs/log-format.md has no example block ${name}`);
  return m[1];
}
const hexBlock = (name: string) => new Uint8Array(Buffer.from(block(name).replace(/\s+/g, ''), 'hex'));

describe('docs/log-format.md worked example', () => {
  const auditPrivate = hexBlock('audit-private');
  const audit = softwareSigner('ca.tqca.example/audit', 'note', auditPrivate);
  const witness = softwareSigner('auditor.example/w1', 'cosignature', hexBlock('witness-private'));
  const lines = block('export').split('\n').slice(0, -1);

  it('keys and vkeys follow from the private keys', () => {
    expect(toHex(audit.publicKey.bytes)).toBe(block('audit-public').trim());
    expect(encodeVkey(audit)).toBe(block('audit-vkey').trim());
    expect(encodeVkey(witness)).toBe(block('witness-vkey').trim());
    expect(unwrap(parseVkey(block('witness-vkey'))).publicKey.bytes).toEqual(witness.publicKey.bytes);
  });

  it('entry bytes, chain hash, leaf hashes and the root are what the document prints', () => {
    const entries = lines.slice(1).filter((l) => l.includes('"type":"entry"')).map((l) => unwrap(decodeEntryLine(JSON.parse(l))));
    expect(toHex(entries[0].bytes)).toBe(toHex(hexBlock('entry-1-bytes')));
    expect(toHex(sm3(entries[0].bytes))).toBe(block('entry-1-hash').trim());
    const leaves = entries.map((e) => leafHash(SM3_TREE, e.bytes));
    expect(leaves.map(toHex).join('\n')).toBe(block('leaves').trim());
    expect(toHex(nodeHash(SM3_TREE, nodeHash(SM3_TREE, leaves[0], leaves[1]), leaves[2]))).toBe(block('root-3').trim());
  });

  it('the export verifies with the witness as quorum, its last checkpoint is the one printed, and the proof checks', async () => {
    const summary = unwrap(await verifyExport(lines, { auditKey: audit.publicKey, witnesses: [witness], quorum: 1 }));
    expect(summary).toMatchObject({ entries: 3, checkpoints: 2, attested: 3, unattested: 0 });
    expect(summary.lastCheckpoint?.note).toBe(block('checkpoint'));
    expect(unwrap(checkInclusionProof(block('proof'), audit.publicKey, [witness], 1))).toMatchObject({ seq: 2 });
  });

  it('an independent SM2 (sm-crypto) verifies the printed signatures, and signs through the callback as an HSM would', async () => {
    const note = unwrap(parseNote(block('checkpoint')));
    const [log, cosignature] = note.signatures;
    expect(smCryptoVerify(new TextEncoder().encode(note.text), log.signature, audit.publicKey.bytes)).toBe(true);
    const timestamp = new DataView(cosignature.signature.buffer, cosignature.signature.byteOffset).getBigUint64(0);
    expect(smCryptoVerify(cosignedMessage(note.text, timestamp), cosignature.signature.subarray(8), witness.publicKey.bytes)).toBe(true);

    const external = { ...audit, sign: async (message: Uint8Array) => smCryptoSign(message, auditPrivate) };
    const signed = unwrap(await signCheckpoint({ origin: audit.name, size: 0, root: new Uint8Array(32) }, external));
    expect(signed.startsWith(checkpointText({ origin: audit.name, size: 0, root: new Uint8Array(32) }))).toBe(true);
    expect(verifyCheckpointNote(signed, { origin: audit.name, auditKey: auditNoteKey(audit.name, audit.publicKey), witnesses: [] }).ok).toBe(true);
  });
});
