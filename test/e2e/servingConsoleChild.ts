/**
 * The console server's side of the embedded database in a process of its own: the CA opened
 * exactly as the console opens it (lib/server/ca.ts: the holder that serves PGlite to `tqca`,
 * publication timer, SIGTERM handling), driven by JSON lines on stdin, one JSON line of answer
 * each on stdout. Not the Next.js server (the browser suite runs that), the same open path.
 */
import { createInterface } from 'node:readline';
import { authenticate } from '../../lib/ca';
import { issueCertificate } from '../../lib/ca/issuance';
import { serverCa } from '../../lib/server/ca';
import { PASSWORD } from './harness';

export type ServingConsoleCommand =
  | { readonly op: 'issue'; readonly requestIds: readonly number[] }
  | { readonly op: 'certificate'; readonly requestId: number };

const { ca, db } = await serverCa();
const bob = await authenticate(ca, 'bob', PASSWORD);
if (!bob.ok) throw new Error(bob.error.message);
const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
answer({ ready: true, embedded: db.embedded });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as ServingConsoleCommand;
  if (command.op === 'issue') {
    // Two at a time, as two console requests would.
    const queue = [...command.requestIds];
    const outcomes: unknown[] = [];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const issued = await issueCertificate(ca, bob.value, id);
        outcomes.push(issued.ok ? { requestId: id, number: String(issued.value.number) } : { requestId: id, code: issued.error.code });
      }
    };
    await Promise.all([worker(), worker()]);
    answer({ outcomes });
  } else {
    const certificate = await ca.prisma.certificate.findUnique({ where: { requestId: command.requestId }, select: { bytes: true } });
    answer({ certificate: certificate && Buffer.from(certificate.bytes).toString('hex') });
  }
}
