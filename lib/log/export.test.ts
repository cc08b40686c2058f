import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sm2 } from '../crypto/sm2';
import { unwrap } from '../errors';
import { csvExport, jsonLinesExport, type LogItem } from './export';
import { parseNote, softwareSigner, type NoteSigner } from './note';
import { checkInclusionProof, proveConsistencyRequest, proveInclusion } from './proof';
import { syntheticLog } from './synthetic';
import { linesOf, verifyConsistentExports, verifyExport, type VerifyOptions } from './verify';
import { directoryStateStore, witnessCheckpoint } from './witness';

const ORIGIN = 'tqca.example/audit';
const audit = softwareSigner(ORIGIN, 'note', sm2.generatePrivateKey());
const w1 = softwareSigner('auditor-one.example/w', 'cosignature', sm2.generatePrivateKey());
const w2 = softwareSigner('auditor-two.example/w', 'cosignature', sm2.generatePrivateKey());
const stranger = softwareSigner('stranger.example/w', 'cosignature', sm2.generatePrivateKey());
const trust: VerifyOptions = { auditKey: audit.publicKey, witnesses: [w1, w2], quorum: 2 };

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Export lines without newlines. */
async function exportOf(entries: number, options: { rewriteFrom?: number; witnesses?: NoteSigner[]; checkpointEvery?: number } = {}): Promise<string[]> {
  const items = syntheticLog({ auditKey: audit, witnesses: options.witnesses ?? [w1, w2], entries, checkpointEvery: options.checkpointEvery ?? 5, rewriteFrom: options.rewriteFrom });
  const text = (await collect(jsonLinesExport({ origin: ORIGIN, auditKey: audit.publicKey, witnesses: [w1, w2], items }))).join('');
  return text.split('\n').slice(0, -1);
}

const verify = (lines: readonly string[], options: VerifyOptions = trust) => verifyExport(lines, options);

/** The first line (1-based) where two exports differ. */
function firstDifference(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i + 1;
}

/** A plausible different value of the same type: one hex digit, one letter, a number ±1. */
function edited(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (value === null) return 1;
  if (typeof value === 'string') {
    const i = value.length > 2 ? value.length - 2 : 0;
    const c = value[i];
    const swap = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'a' ? 'b' : 'a';
    return value.slice(0, i) + swap + value.slice(i + 1);
  }
  if (Array.isArray(value)) return [...value, 'x'];
  return value;
}

let original: string[];

beforeAll(async () => {
  original = await exportOf(12);
});

describe('an export verifies as written', () => {
  it('recomputes chain and tree, checks every checkpoint and its cosignatures, and says what is attested', async () => {
    const summary = unwrap(await verify(original));
    expect(summary).toMatchObject({ origin: ORIGIN, entries: 12, checkpoints: 3, attested: 12, unattested: 0 });
    expect(summary.lastCheckpoint?.cosigners).toEqual([w1.name, w2.name]);
  });

  it('with a checkpoint behind the last entries, those entries are counted as unattested', async () => {
    const lines = await exportOf(13, { checkpointEvery: 5 });
    // Re-export without the final checkpoint: keep the first 10 entries' checkpoints only.
    const withoutLast = lines.filter((l) => !(l.includes('"type":"checkpoint"') && l.includes('"size":13')));
    const end = withoutLast.pop()!;
    expect(JSON.parse(end).type).toBe('end');
    expect(unwrap(await verify([...withoutLast, end]))).toMatchObject({ entries: 13, attested: 10, unattested: 3 });
  });
});

describe('mutations of a real export are detected at the line they touch', () => {
  const expectCaught = async (mutated: string[], what: string) => {
    const r = await verify(mutated);
    expect(r.ok, what).toBe(false);
    if (!r.ok) expect(r.error.details?.line, `${what}: ${r.error.code} ${r.error.message}`).toBe(firstDifference(original, mutated));
    return r;
  };

  it('every single edit of every field of every line', async () => {
    let edits = 0;
    for (const [i, line] of original.entries()) {
      const json = JSON.parse(line) as Record<string, unknown>;
      for (const field of Object.keys(json)) {
        const mutated = [...original];
        mutated[i] = JSON.stringify({ ...json, [field]: edited(json[field]) });
        await expectCaught(mutated, `line ${i + 1} field ${field}`);
        edits += 1;
      }
    }
    expect(edits).toBeGreaterThan(150);
  });

  it('an edited entry names its seq: its fields no longer hash to its hash', async () => {
    const i = original.findIndex((l) => l.includes('"seq":7,'));
    const json = JSON.parse(original[i]);
    const mutated = [...original];
    mutated[i] = JSON.stringify({ ...json, objectId: '999' });
    const r = await expectCaught(mutated, 'objectId');
    expect(!r.ok && r.error).toMatchObject({ code: 'LOG_CHAIN_BROKEN', field: 'hash', details: { seq: 7 } });
  });

  it('values no audit event can hold are typed errors, not crashes', async () => {
    const i = original.findIndex((l) => l.includes('"seq":3,'));
    const json = JSON.parse(original[i]);
    for (const [field, value] of [['time', 9e15], ['actorId', 0], ['details', '{"b":1,"a":2}'], ['details', '{'], ['hash', json.hash.toUpperCase()], ['seq', 2 ** 53]] as const) {
      const mutated = [...original];
      mutated[i] = JSON.stringify({ ...json, [field]: value });
      const r = await expectCaught(mutated, `${field} = ${value}`);
      expect(!r.ok && r.error.code, field).toMatch(/LOG_ENTRY_INVALID|LOG_CHAIN_BROKEN/);
    }
    const notJson = [...original];
    notJson[i] = original[i].slice(0, -1);
    expect(!(await expectCaught(notJson, 'cut line')).ok).toBe(true);
  });

  it('deleting, inserting or swapping entries', async () => {
    const entryLines = original.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"type":"entry"')).map(([, i]) => i);
    for (const i of entryLines) {
      await expectCaught(original.filter((_, j) => j !== i), `delete line ${i + 1}`);
      await expectCaught([...original.slice(0, i), original[i], ...original.slice(i)], `duplicate line ${i + 1}`);
    }
    for (const [a, b] of [[entryLines[0], entryLines[1]], [entryLines[2], entryLines[6]], [entryLines[3], entryLines[11]]]) {
      const swapped = [...original];
      [swapped[a], swapped[b]] = [swapped[b], swapped[a]];
      const r = await expectCaught(swapped, `swap ${a + 1} ${b + 1}`);
      expect(!r.ok && r.error.code).toBe('LOG_CHAIN_BROKEN');
    }
  });

  it('truncating the tail: keeping its checkpoint, removing it, removing only the end line', async () => {
    const cut = original.length - 1; // the end line
    const lastCheckpoint = cut - 1;
    // Entries 11 and 12 removed, their checkpoint and the end line kept.
    const keptCheckpoint = [...original.slice(0, lastCheckpoint - 2), ...original.slice(lastCheckpoint)];
    const r1 = await expectCaught(keptCheckpoint, 'tail without its entries');
    expect(!r1.ok && r1.error).toMatchObject({ code: 'LOG_CHECKPOINT_ORDER', details: { size: 12, entries: 10 } });
    // Entries 11, 12, their checkpoint and the end line removed.
    const r2 = await verify(original.slice(0, lastCheckpoint - 2));
    expect(!r2.ok && r2.error).toMatchObject({ code: 'LOG_EXPORT_TRUNCATED', field: 'end', details: { entries: 10, attested: 10 } });
    const r3 = await verify(original.slice(0, cut));
    expect(!r3.ok && r3.error).toMatchObject({ code: 'LOG_EXPORT_TRUNCATED', details: { entries: 12, attested: 12 } });
  });

  it('a forged audit signature, a forged or repeated cosignature, a checkpoint of a forked history', async () => {
    const at = original.findIndex((l) => l.includes('"type":"checkpoint"') && l.includes('"size":10'));
    const checkpoint = JSON.parse(original[at]) as { size: number; note: string };
    const note = unwrap(parseNote(checkpoint.note));
    const withNote = (text: string) => original.map((l, i) => (i === at ? JSON.stringify({ ...checkpoint, note: text }) : l));
    const flip = (i: number) => {
      const signatures = note.signatures.map((s, j) => (j === i ? { ...s, signature: s.signature.map((b, k) => (k === 20 ? b ^ 1 : b)) } : s));
      return withNote(`${note.text}\n${signatures.map((s) => `— ${s.name} ${Buffer.from([...s.keyId, ...s.signature]).toString('base64')}\n`).join('')}`);
    };
    const forgedAudit = await expectCaught(flip(0), 'audit signature');
    expect(!forgedAudit.ok && forgedAudit.error).toMatchObject({ code: 'LOG_NOTE_SIGNATURE_INVALID', details: { name: ORIGIN, size: 10 } });
    const forgedCosignature = await expectCaught(flip(2), 'cosignature');
    expect(!forgedCosignature.ok && forgedCosignature.error).toMatchObject({ code: 'LOG_NOTE_SIGNATURE_INVALID', details: { name: w2.name } });
    const lines = checkpoint.note.split('\n');
    const repeated = await expectCaught(withNote(`${checkpoint.note}${lines[lines.length - 2]}\n`), 'repeated cosignature');
    expect(!repeated.ok && repeated.error.code).toBe('LOG_NOTE_DUPLICATE_SIGNATURE');

    const forked = await exportOf(12, { rewriteFrom: 8 });
    const forkedCheckpoint = forked.find((l) => l.includes('"type":"checkpoint"') && l.includes('"size":10'))!;
    const r = await expectCaught(withNote(JSON.parse(forkedCheckpoint).note), 'forked checkpoint');
    expect(!r.ok && r.error).toMatchObject({ code: 'LOG_CHECKPOINT_ROOT', details: { size: 10 } });
  });

  it('signatures of unknown keys are ignored; too few trusted cosignatures fail the quorum', async () => {
    const lines = await exportOf(6, { witnesses: [w1, stranger] });
    expect(unwrap(await verify(lines, { ...trust, quorum: 1 }))).toMatchObject({ attested: 6 });
    const r = await verify(lines, trust);
    expect(!r.ok && r.error).toMatchObject({ code: 'LOG_QUORUM', details: { quorum: 2 } });
    const wrongKey = await verify(lines, { ...trust, auditKey: w1.publicKey });
    expect(!wrongKey.ok && wrongKey.error).toMatchObject({ code: 'LOG_EXPORT_MALFORMED', field: 'auditKey', details: { line: 1 } });
  });
});

describe('consistency between exports', () => {
  const lines = (l: string[]) =>
    linesOf(() =>
      (async function* () {
        yield* l;
      })(),
    );

  it('an export, more activity, a second export: consistent', async () => {
    const r = unwrap(await verifyConsistentExports(lines(original), lines(await exportOf(23)), trust));
    expect(r).toMatchObject({ older: { entries: 12 }, newer: { entries: 23 } });
  });

  it('a rewritten history re-signed with the real audit key verifies alone, but not against the older export', async () => {
    const rewritten = await exportOf(23, { rewriteFrom: 8 });
    expect((await verify(rewritten)).ok).toBe(true);
    const r = await verifyConsistentExports(lines(original), lines(rewritten), trust);
    expect(!r.ok && r.error).toMatchObject({ code: 'LOG_INCONSISTENT', details: { size: 10, export: 'newer' } });
  });

  it('a newer export cut back and resealed is a rollback', async () => {
    const shorter = await exportOf(9);
    const r = await verifyConsistentExports(lines(original), lines(shorter), trust);
    expect(!r.ok && r.error).toMatchObject({ code: 'LOG_INCONSISTENT', field: 'entries', details: { older: 12, newer: 9 } });
  });
});

describe('inclusion proofs and the witness', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tqca-witness-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const stream = (l: string[]) => () => (async function* () {
    yield* l;
  })();

  it('a tlog-proof for every entry verifies offline; a proof for another entry does not', async () => {
    for (let seq = 1; seq <= 12; seq++) {
      const proof = unwrap(await proveInclusion(stream(original), seq, trust));
      expect(unwrap(checkInclusionProof(proof, audit.publicKey, [w1, w2], 2))).toMatchObject({ seq });
    }
    const proof = unwrap(await proveInclusion(stream(original), 5, trust));
    const lied = proof.replace('index 4\n', 'index 5\n');
    expect(checkInclusionProof(lied, audit.publicKey, [])).toMatchObject({ ok: false, error: { code: 'LOG_PROOF_INVALID' } });
  });

  it('cosigns a consistent checkpoint, refuses a forked one, and keeps its state', async () => {
    const witness = softwareSigner('auditor-three.example/w', 'cosignature', sm2.generatePrivateKey());
    const store = directoryStateStore(join(dir, 'w3'));
    const now = new Date('2026-06-02T00:00:00Z');
    const first = unwrap(await witnessCheckpoint(unwrap(await proveConsistencyRequest(stream(original), 0, trust)), audit.publicKey, witness, store, now));
    expect(first.checkpoint.size).toBe(12);
    const grown = await exportOf(23);
    const second = unwrap(await witnessCheckpoint(unwrap(await proveConsistencyRequest(stream(grown), 12, trust)), audit.publicKey, witness, store, now));
    expect(second).toMatchObject({ checkpoint: { size: 23 }, previous: { size: 12 } });
    expect(unwrap(parseNote(second.note)).signatures.map((s) => s.name)).toEqual([ORIGIN, w1.name, w2.name, witness.name]);

    const forked = await exportOf(30, { rewriteFrom: 8 });
    const fork = await witnessCheckpoint(unwrap(await proveConsistencyRequest(stream(forked), 23, trust)), audit.publicKey, witness, store, now);
    expect(!fork.ok && fork.error).toMatchObject({ code: 'LOG_WITNESS_CONFLICT', details: { witnessSize: 23, size: 30 } });
    const rollback = await witnessCheckpoint(unwrap(await proveConsistencyRequest(stream(original), 12, trust)), audit.publicKey, witness, store, now);
    expect(!rollback.ok && rollback.error).toMatchObject({ code: 'LOG_WITNESS_CONFLICT', details: { witnessSize: 23, size: 12 } });
    expect(unwrap(await store.read())).toBe(second.note);
  });
});

describe('CSV', () => {
  it('one row per entry, formulas defused, the certificate log as a filter', async () => {
    const items: LogItem[] = await collect(syntheticLog({ auditKey: audit, entries: 10, checkpointEvery: 5 }));
    const all = await collect(csvExport(items));
    expect(all).toHaveLength(11);
    expect(all[0]).toBe('seq,time,actorId,actor,action,objectType,objectId,details,prevHash,hash\r\n');
    const certificates = await collect(csvExport(items, { certificatesOnly: true }));
    expect(certificates.slice(1).every((row) => row.split(',')[5] === 'certificate')).toBe(true);
    expect(certificates).toHaveLength(1 + 4);
  });
});
