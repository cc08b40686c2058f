/**
 * `npm run bench:cli`: wall-clock start-up of the `tqca` binary, as ratios against a bare
 * `node -e ''` measured in the same run (so the numbers compare across machines and loads).
 * Medians of sequential runs; nothing else of ours runs meanwhile.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const example = JSON.parse(readFileSync(new URL('../../test/support/vectors/tq-cert-1-example.json', import.meta.url), 'utf8'));
const rounds = Number(process.env.ROUNDS ?? 15);

function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const cases: [string, string[]][] = [
  ["node -e ''", ['-e', '']],
  ['tqca --help', ['bin/tqca.cjs', '--help']],
  ['tqca cert verify', ['bin/tqca.cjs', 'cert', 'verify', '--root', example.root.x + example.root.y, '--at', '2026-06-01', example.certificate]],
  [
    'tqca qr verify',
    [
      'bin/tqca.cjs',
      'qr',
      'verify',
      '--root',
      example.root.x + example.root.y,
      '--cert',
      example.certificate,
      '--issuer',
      example.issuer.issuer_id,
      '--number',
      example.issuer.certificate_number,
      '--at',
      example.qr_generated_at,
      example.qr,
    ],
  ],
];

const results = cases.map(([name, args]) => ({ name, ms: medianMs(args) }));
const baseline = results[0].ms;
console.log(`start-up, median of ${rounds} runs each (ratio to bare node in this run):`);
for (const { name, ms } of results) console.log(`  ${name.padEnd(18)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / baseline).toFixed(2)}×`);
