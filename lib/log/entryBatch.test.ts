import { describe, expect, it } from 'vitest';
import { chainAndLeafHash } from '../audit';
import { sm2 } from '../crypto/sm2';
import { jsonLinesExport } from './export';
import { checkEntryLine } from './entry';
import { hashEntryBatch, hashOneLine, HASHED, HASHES_PER_LINE, LINKED, SUBTREE_HASH_BYTES } from './entryBatch';
import { CompactRange, SM3_TREE } from './merkle';
import { softwareSigner } from './note';
import { syntheticLog } from './synthetic';

const ORIGIN = 'tqca.example/audit';
const audit = softwareSigner(ORIGIN, 'note', sm2.generatePrivateKey());

async function exportText(entries: number, checkpointEvery = 4): Promise<string> {
  let text = '';
  for await (const line of jsonLinesExport({ origin: ORIGIN, auditKey: audit.publicKey, witnesses: [], items: syntheticLog({ auditKey: audit, entries, checkpointEvery }) })) text += line;
  return text;
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

/**
 * The line with its hash recomputed from its (mutated) fields by the general path's own decoding,
 * so that a mutation tests the parse, not only the hash comparison.
 */
function resealed(line: string): string {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const checked = typeof json === 'object' && json !== null ? checkEntryLine(json) : undefined;
  if (!checked?.ok || !/^[0-9a-f]{64}$/.test(checked.value.prevHash) || !line.includes(checked.value.hash)) return line;
  const { fields, detailsText, prevHash, hash } = checked.value;
  const computed = chainAndLeafHash({ ...fields, prevHash: new Uint8Array(Buffer.from(prevHash, 'hex')) }, detailsText);
  return line.replace(hash, Buffer.from(computed.hash).toString('hex'));
}

/** Each byte replaced by, inserted before, or deleted: the spellings the fast path must decline or get right. */
function* mutations(line: string): Generator<string> {
  const replacements = ['0', '9', 'a', '"', '\\', ' ', '\r', '.', 'é'];
  for (let i = 0; i < line.length; i++) {
    yield line.slice(0, i) + line.slice(i + 1);
    for (const r of replacements) {
      yield line.slice(0, i) + r + line.slice(i + 1);
      yield line.slice(0, i) + r + line.slice(i);
    }
  }
}

describe('the fast path for exported entry lines', () => {
  it('agrees with the general path on every mutation it accepts, and declines what it does not know', async () => {
    const lines = (await exportText(10)).split('\n').filter((l) => l.includes('"type":"entry"'));
    // Lines of each shape: actorId null (seq 3) and a number with a reason in the details (seq 7).
    const samples = [lines[2], lines[6]];
    let accepted = 0;
    let declined = 0;
    for (const line of samples) {
      const fast = hashOneLine(bytes(line), 'fast');
      expect(fast, 'the exporter’s own line').toBeDefined();
      expect(fast).toEqual(hashOneLine(bytes(line), 'general'));
      for (const mutated of mutations(line)) {
        const text = resealed(mutated);
        const fastResult = hashOneLine(bytes(text), 'fast');
        if (fastResult === undefined) {
          declined += 1;
          continue;
        }
        accepted += 1;
        expect(hashOneLine(bytes(text), 'general'), text).toEqual(fastResult);
      }
    }
    // Mutations of the fields' values (digits, letters) are accepted and re-hashed; the rest declined.
    expect(accepted).toBeGreaterThan(100);
    expect(declined).toBeGreaterThan(1000);
  });

  it('declines valid spellings other than the exporter’s, which the general path accepts', async () => {
    const line = (await exportText(3)).split('\n').find((l) => l.includes('"seq":2,'))!;
    const json = JSON.parse(line) as Record<string, unknown>;
    const { type, seq, ...rest } = json;
    const others = [
      JSON.stringify({ seq, type, ...rest }),
      JSON.stringify(json, null, 1),
      line.replace('"seq":2', '"seq":2.0'),
      line.replace('"actor":"officer', '"actor":"\\u006ffficer'),
      `${line} `,
    ];
    for (const text of others) {
      expect(hashOneLine(bytes(text), 'fast'), text).toBeUndefined();
      expect(hashOneLine(bytes(text), 'general'), text).toEqual(hashOneLine(bytes(line), 'general'));
    }
  });
});

describe('a batch of lines', () => {
  it('marks entry lines hashed and linked to the entry before them; other lines are left to the verifier', async () => {
    const text = await exportText(6);
    const lines = text.split('\n').slice(0, -1);
    const batch = hashEntryBatch(bytes(text));
    expect(batch.status.length).toBe(lines.length);
    const expected = lines.map((l) => (!l.includes('"type":"entry"') ? 0 : l.includes('"seq":1,') ? HASHED : HASHED | LINKED));
    expect([...batch.status]).toEqual(expected);
    // A batch cut after entry 3: entry 4 starts the next one, unlinked.
    const cut = text.indexOf('\n', text.indexOf('"seq":3,')) + 1;
    const second = hashEntryBatch(bytes(text.slice(cut)));
    expect(second.status[0]).toBe(HASHED);
    expect(second.seqs[0]).toBe(4);
    // Entry 5 swapped with entry 6: both still hash, neither links.
    const swapped = lines.map((l, i) => (l.includes('"seq":5,') ? lines[i + 1] : l.includes('"seq":6,') ? lines[i - 1] : l));
    const statuses = [...hashEntryBatch(bytes(swapped.join('\n'))).status];
    expect(statuses.filter((s) => s === HASHED).length).toBe(3);
  });

  it('cuts each run of linked lines into aligned perfect subtrees, each with the root of its leaves', async () => {
    const text = await exportText(40, 23);
    const starts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)].slice(0, -1);
    let largest = 0;
    // Batches starting at every line: runs start mid-tree, at checkpoints, at the batch's start.
    for (const start of starts) {
      const batch = hashEntryBatch(bytes(text.slice(start)));
      const covered = new Array<number>(batch.status.length).fill(0);
      for (let i = 0; i < batch.status.length; i++) {
        const leaves = batch.subtreeLeaves[i];
        if (leaves === 0) continue;
        largest = Math.max(largest, leaves);
        expect((batch.seqs[i] - 1) % leaves, 'aligned').toBe(0);
        const tree = new CompactRange(SM3_TREE);
        for (let k = i; k < i + leaves; k++) {
          covered[k] += 1;
          if (k > i) expect(batch.status[k]).toBe(HASHED | LINKED);
          tree.append(batch.hashes.slice(k * HASHES_PER_LINE + 64, (k + 1) * HASHES_PER_LINE));
        }
        expect(batch.subtreeHashes.slice(i * SUBTREE_HASH_BYTES, (i + 1) * SUBTREE_HASH_BYTES)).toEqual(tree.root());
      }
      expect(covered).toEqual([...batch.status].map((s) => (s & HASHED ? 1 : 0)));
    }
    expect(largest).toBe(16);
  });
});
