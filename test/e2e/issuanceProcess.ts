/** Starts test/e2e/issuanceChild.ts as a separate process and collects its outcome lines as they arrive. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { equal } from '../../lib/bytes';
import { verifyIssuerCertificate } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import type { PrismaClient } from '../../lib/db/client';
import type { Harness } from './harness';
import { CENTER_ID, PASSWORD } from './harness';
import type { IssuanceChildSpec } from './issuanceChild';

const CHILD = fileURLToPath(new URL('./issuanceChild.ts', import.meta.url));

export interface IssuanceOutcome {
  readonly requestId: number;
  readonly number?: string;
  readonly certificate?: string;
  readonly code?: string;
}

export interface IssuanceProcess {
  readonly child: ChildProcess;
  /** Outcomes printed so far (the child prints one as soon as it has it). */
  readonly outcomes: IssuanceOutcome[];
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startIssuanceProcess(
  h: Harness,
  database: IssuanceChildSpec['database'],
  requestIds: readonly number[],
  concurrency: number,
): IssuanceProcess {
  const spec: IssuanceChildSpec = {
    database,
    modulePath: h.token.modulePath,
    tokenLabel: h.token.tokenLabel,
    pin: h.token.pin,
    profile: h.token.profile.name,
    centerId: CENTER_ID,
    operator: 'bob',
    password: PASSWORD,
    requestIds,
    concurrency,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...h.token.env, UV_THREADPOOL_SIZE: String(Math.max(4, concurrency)), TQCA_ISSUANCE_CHILD: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outcomes: IssuanceOutcome[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const parsed = JSON.parse(line) as IssuanceOutcome & { done?: boolean };
      if (!parsed.done) outcomes.push(parsed);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, outcomes, ended };
}

export interface IssuanceLedger {
  readonly issued: number;
  readonly failed: readonly { readonly number: bigint; readonly code: string | null }[];
}

/**
 * What the database holds after issuing: every allocated number from 1 up is either ISSUED with
 * its certificate or FAILED with a reason (no gaps, nothing left RESERVED), serials
 * are unique per issuer, and every stored certificate verifies with its root key as a terminal
 * verifies it.
 */
export async function checkLedger(p: PrismaClient): Promise<IssuanceLedger> {
  const allocations = await p.certificateNumberAllocation.findMany({ orderBy: { number: 'asc' }, include: { certificate: { select: { bytes: true } } } });
  const numbers = allocations.map((a) => Number(a.number));
  if (numbers.some((n, i) => n !== i + 1)) throw new Error(`allocated numbers are not 1..${numbers.length} without gaps: ${numbers.join(',')}`);
  for (const a of allocations) {
    if (a.state === 'ISSUED' && !a.certificate) throw new Error(`number ${a.number} is ISSUED without a certificate`);
    if (a.certificate && !equal(a.certificate.bytes, a.signedBytes ?? new Uint8Array())) throw new Error(`number ${a.number}: the stored certificate is not the recorded signed bytes`);
    if (a.state === 'FAILED' && (a.certificate || !a.failureCode)) throw new Error(`number ${a.number} is FAILED with a certificate or without a reason`);
    if (a.state === 'RESERVED') throw new Error(`number ${a.number} is still RESERVED`);
  }
  const certificates = await p.certificate.findMany({ include: { rootKey: { select: { publicKey: true } } } });
  const serials = new Set(certificates.map((c) => `${c.institutionId}/${c.serial}`));
  if (serials.size !== certificates.length) throw new Error('a serial is used twice by one issuer');
  for (const c of certificates) {
    const verified = verifyIssuerCertificate(c.bytes, unwrap(sm2.publicKeyFromBytes(c.rootKey.publicKey)), new Date());
    if (!verified.ok) throw new Error(`certificate ${c.number} does not verify: ${verified.error.code}`);
  }
  return {
    issued: allocations.filter((a) => a.state === 'ISSUED').length,
    failed: allocations.filter((a) => a.state === 'FAILED').map((a) => ({ number: a.number, code: a.failureCode })),
  };
}
