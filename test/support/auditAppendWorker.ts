// Child process for the concurrency test: appends N audit events to DATABASE at argv[2], each in
// its own transaction, as fast as it can, and prints the seqs it got.
import { appendAuditEvent } from '../../lib/audit';
import { openDatabase } from '../../lib/db/client';

const [url, count, name] = process.argv.slice(2);
const db = await openDatabase({ url, migrate: false });
const seqs: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const event = await db.prisma.$transaction((tx) =>
    appendAuditEvent(tx, { actor: 'system', action: 'test.append', objectType: 'worker', objectId: `${name}-${i}`, details: { name, i }, time: new Date() }),
  );
  seqs.push(event.seq.toString());
}
await db.close();
process.stdout.write(JSON.stringify(seqs));
