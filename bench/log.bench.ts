/**
 * `npm run bench:log`: offline verification of an export file (lib/log/verifyFile.ts, what
 * `tqca log verify` runs) beside raw SM3 over the same file's bytes, measured in the same run, and
 * peak memory at 100k and 1M entries to show it stays flat in the log's size.
 *
 * Both baselines hash exactly the export file's bytes with node:crypto's SM3, the API the verifier
 * hashes with, on one thread: "raw SM3" in 1 MB chunks (one hash object, the cheapest SM3 there
 * is), "per line" one one-shot hash() call per line (what a call costs at this size). The verifier
 * makes about three calls per entry line (chain hash and leaf hash over the ~350-byte entry
 * encoding, and on average one 65-byte node hash), so per-call overhead alone puts one thread above
 * the chunked baseline; it therefore hashes on worker threads (one per core, at most four). The
 * printout names the worker count and the CPU time of all the process's threads beside wall-clock,
 * so a reader sees the verifier uses every core while the baselines use one. On a loaded machine
 * the wall-clock ratios say little; the CPU columns say what the work costs.
 *
 * Exports are generated on the fly into a temp directory (synthetic audit events of the console's
 * shape, about 350 bytes canonical, a signed checkpoint every 10,000 entries). Each measurement
 * runs in its own child process, so its peak RSS (getrusage maxrss) is its own; wall-clock is the
 * median of three runs; verification runs with a 64 MB V8 heap cap on its main thread (which keeps
 * the tree; a worker holds only the batch it hashes). BENCH_LOG_ENTRIES overrides the large size.
 */
import { spawnSync } from 'node:child_process';
import { createHash, hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { jsonLinesExport } from '../lib/log/export';
import { softwareSigner } from '../lib/log/note';
import { syntheticLog } from '../lib/log/synthetic';
import { verifierWorkers, verifyExportFile } from '../lib/log/verifyFile';

const LARGE = Number(process.env.BENCH_LOG_ENTRIES ?? 1_000_000);
const SMALL = Math.min(100_000, LARGE);
const HEAP_CAP_MB = 64;
const ORIGIN = 'tqca.example/audit';
// A fixed key, so the child processes verify what the parent generated.
const AUDIT_PRIVATE = new Uint8Array(32).fill(7);
const audit = softwareSigner(ORIGIN, 'note', AUDIT_PRIVATE);

async function generate(path: string, entries: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk = '';
  const items = syntheticLog({ auditKey: audit, entries, checkpointEvery: 10_000 });
  for await (const line of jsonLinesExport({ origin: ORIGIN, auditKey: audit.publicKey, witnesses: [], items })) {
    chunk += line;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Child mode: one measurement, printed as JSON. */
async function child(kind: string, path: string): Promise<void> {
  const start = performance.now();
  const startCpu = process.cpuUsage();
  let result: unknown;
  if (kind === 'sm3') {
    const h = createHash('sm3');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    result = h.digest('hex').slice(0, 16);
  } else if (kind === 'sm3-lines') {
    let lines = 0;
    let rest: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const bytes = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
        hash('sm3', bytes.subarray(start, end + 1), 'buffer');
        lines += 1;
        start = end + 1;
      }
      rest = bytes.subarray(start);
    }
    result = lines;
  } else {
    const r = await verifyExportFile(path, { auditKey: audit.publicKey });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    result = r.value.entries;
  }
  const ms = performance.now() - start;
  // CPU time of the whole process, every thread (the verifier's workers too).
  const cpu = process.cpuUsage(startCpu);
  console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, result }));
}

interface Measured {
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

function measure(kind: 'sm3' | 'sm3-lines' | 'verify', path: string): Measured {
  const runs = [0, 1, 2].map(() => {
    // Verification runs under a 64 MB heap cap: a verifier that kept per-entry state would die at 1M entries.
    const cap = kind === 'verify' ? [`--max-old-space-size=${HEAP_CAP_MB}`] : [];
    const r = spawnSync(process.execPath, [...cap, ...process.execArgv, fileURLToPath(import.meta.url), kind, path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; cpuMs: number; maxRssKb: number };
  });
  const median = runs.sort((a, b) => a.ms - b.ms)[1];
  return { ms: median.ms, cpuMs: median.cpuMs, maxRssMb: Math.max(...runs.map((r) => r.maxRssKb)) / 1024 };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tqca-bench-log-'));
  try {
    console.log(`verification with --max-old-space-size=${HEAP_CAP_MB}`);
    console.log('baselines: SM3 (node:crypto) over the export file\'s bytes, in 1 MB chunks ("raw SM3") and one hash() call per line ("per line")');
    console.log('ratios: verify / raw SM3, verify / per line; wall-clock, medians of three: run them on a quiet machine');
    console.log(`verify: ${verifierWorkers()} worker threads (one per core, at most four) hash batches of lines; CPU: all threads of the process, the run with the median time`);
    const columns: [string, number][] = [['entries', 9], ['file MB', 8], ['raw SM3', 9], ['per line', 9], ['verify', 9], ['ratio', 7], ['/line', 7], ['MB/s', 6], ['workers', 8], ['CPU raw', 8], ['CPU verify', 11], ['CPU ratio', 10], ['RSS sm3', 8], ['RSS verify', 11]];
    console.log(columns.map(([name, width]) => name.padStart(width)).join(' '));
    for (const entries of [...new Set([SMALL, LARGE])]) {
      const path = join(dir, `export-${entries}.jsonl`);
      await generate(path, entries);
      const bytes = (await stat(path)).size;
      const raw = measure('sm3', path);
      const perLine = measure('sm3-lines', path);
      const verified = measure('verify', path);
      const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
      const times = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
      const cells = [
        String(entries),
        (bytes / 2 ** 20).toFixed(0),
        seconds(raw.ms),
        seconds(perLine.ms),
        seconds(verified.ms),
        times(verified.ms, raw.ms),
        times(verified.ms, perLine.ms),
        (bytes / 2 ** 20 / (verified.ms / 1000)).toFixed(0),
        String(verifierWorkers()),
        seconds(raw.cpuMs),
        seconds(verified.cpuMs),
        times(verified.cpuMs, raw.cpuMs),
        `${raw.maxRssMb.toFixed(0)} MB`,
        `${verified.maxRssMb.toFixed(0)} MB`,
      ];
      console.log(cells.map((cell, i) => cell.padStart(columns[i][1])).join(' '));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const [kind, path] = process.argv.slice(2);
await (kind ? child(kind, path) : main());
