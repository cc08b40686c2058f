import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sm2 } from '../crypto/sm2';
import { jsonLinesExport } from './export';
import { softwareSigner } from './note';
import { syntheticLog } from './synthetic';
import { exportLines, linesOf, verifyConsistentExports, verifyExport, type VerifyOptions } from './verify';
import { verifyExportFile } from './verifyFile';

const ORIGIN = 'tqca.example/audit';
const audit = softwareSigner(ORIGIN, 'note', sm2.generatePrivateKey());
const witness = softwareSigner('auditor.example/w', 'cosignature', sm2.generatePrivateKey());
const trust: VerifyOptions = { auditKey: audit.publicKey, witnesses: [witness], quorum: 1 };
// Batches of a few lines, so that faults and checkpoints fall at and across batch boundaries.
const parallel = { workers: 2, batchBytes: 1500, fromBytes: 0 };
const inThisThread = { workers: 1, batchBytes: 1500 };
// The whole file in one batch: runs of linked lines up to the next checkpoint, appended as subtrees of up to 4.
const oneBatch = { workers: 2, batchBytes: 1 << 20, fromBytes: 0 };

let dir: string;
let original: string[];
let files = 0;

async function exportOf(entries: number, rewriteFrom?: number): Promise<string[]> {
  let text = '';
  const items = syntheticLog({ auditKey: audit, witnesses: [witness], entries, checkpointEvery: 7, rewriteFrom });
  for await (const line of jsonLinesExport({ origin: ORIGIN, auditKey: audit.publicKey, witnesses: [witness], items })) text += line;
  return text.split('\n').slice(0, -1);
}

async function fileOf(text: string): Promise<string> {
  const path = join(dir, `export-${files++}.jsonl`);
  await writeFile(path, text);
  return path;
}

/** The file verified in batches, on worker threads and in this thread, gives the line-by-line result. */
async function expectSame(text: string, what: string, options = trust) {
  const path = await fileOf(text);
  const single = await verifyExport(exportLines(path), options);
  expect(await verifyExportFile(path, options, parallel), `${what} (workers)`).toEqual(single);
  expect(await verifyExportFile(path, options, inThisThread), `${what} (this thread)`).toEqual(single);
  expect(await verifyExportFile(path, options, oneBatch), `${what} (one batch)`).toEqual(single);
  return single;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tqca-verify-file-'));
  original = await exportOf(30);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an export file verified in batches', () => {
  it('gives the single-thread summary, with LF or CRLF line ends and without a final newline', async () => {
    const summary = await expectSame(`${original.join('\n')}\n`, 'as written');
    expect(summary).toMatchObject({ ok: true, value: { entries: 30, checkpoints: 5, attested: 30 } });
    await expectSame(`${original.join('\r\n')}\r\n`, 'CRLF');
    await expectSame(original.join('\n'), 'no final newline');
  });

  it('names the same first fault for edits, deletions, duplicates and swaps of every line', async () => {
    let faults = 0;
    for (let i = 0; i < original.length; i++) {
      const json = JSON.parse(original[i]) as Record<string, unknown>;
      const edits = Object.keys(json).map((field) => JSON.stringify({ ...json, [field]: typeof json[field] === 'number' ? (json[field] as number) + 1 : `${String(json[field])}x` }));
      const variants = [
        ...edits.map((line) => original.map((l, j) => (j === i ? line : l))),
        original.filter((_, j) => j !== i),
        [...original.slice(0, i), original[i], ...original.slice(i)],
        original.map((l, j) => (j === i ? original[i + 1] ?? l : j === i + 1 ? original[i] : l)),
      ];
      for (const variant of variants) {
        const r = await expectSame(`${variant.join('\n')}\n`, `line ${i + 1}`);
        if (!r.ok) faults += 1;
      }
    }
    expect(faults).toBeGreaterThan(300);
  });

  it('names a prevHash that is not the last hash, inside a batch and at its start', async () => {
    // Entries of a rewritten history after the original's: seq continues, each line hashes right.
    const forked = await exportOf(30, 12);
    for (let i = original.findIndex((l) => l.includes('"seq":13,')); i < original.length - 1; i++) {
      if (!original[i].includes('"type":"entry"')) continue;
      const r = await expectSame(`${[...original.slice(0, i), ...forked.slice(i)].join('\n')}\n`, `spliced at line ${i + 1}`);
      expect(r).toMatchObject({ ok: false, error: { code: 'LOG_CHAIN_BROKEN', field: 'prevHash', details: { line: i + 1 } } });
    }
  });

  it('accepts entry lines in another valid spelling (the general path in the worker) and rejects lines after the end line', async () => {
    const respelled = original.map((l) => (l.includes('"type":"entry"') ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : l));
    expect(await expectSame(`${respelled.join('\n')}\n`, 'respelled')).toMatchObject({ ok: true, value: { entries: 30 } });
    expect(await expectSame(`${[...original, original[3]].join('\n')}\n`, 'after the end')).toMatchObject({ ok: false, error: { code: 'LOG_EXPORT_MALFORMED', details: { line: original.length + 1 } } });
  });

  it('checks consistency against an older export the same way', async () => {
    const older = await fileOf(`${(await exportOf(16)).join('\n')}\n`);
    const newer = await fileOf(`${original.join('\n')}\n`);
    const forked = await fileOf(`${(await exportOf(30, 12)).join('\n')}\n`);
    const inFile = (path: string) => (options: VerifyOptions) => verifyExportFile(path, options, parallel);
    expect(await verifyConsistentExports(inFile(older), inFile(newer), trust)).toMatchObject({ ok: true });
    const r = await verifyConsistentExports(inFile(older), inFile(forked), trust);
    expect(r).toEqual(await verifyConsistentExports(linesOf(() => exportLines(older)), linesOf(() => exportLines(forked)), trust));
    expect(r).toMatchObject({ ok: false, error: { code: 'LOG_INCONSISTENT' } });
  });

  it('checks an older export’s root that falls inside a subtree the workers hashed whole', async () => {
    // The older export ends at 18, inside the subtree of leaves 16…19 (entries 17…20); the newer
    // one rewrites history from entry 17, so only the root at 18 tells them apart.
    const older = await fileOf(`${(await exportOf(18)).join('\n')}\n`);
    const forked = await fileOf(`${(await exportOf(30, 17)).join('\n')}\n`);
    const inFile = (path: string) => (options: VerifyOptions) => verifyExportFile(path, options, oneBatch);
    const r = await verifyConsistentExports(inFile(older), inFile(forked), trust);
    expect(r).toEqual(await verifyConsistentExports(linesOf(() => exportLines(older)), linesOf(() => exportLines(forked)), trust));
    expect(r).toMatchObject({ ok: false, error: { code: 'LOG_INCONSISTENT', details: { size: 18 } } });
  });
});
