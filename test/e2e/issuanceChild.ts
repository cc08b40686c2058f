/**
 * A separate issuing process for the concurrency and crash tests: opens its own database
 * connection and PKCS#11 session pool on the shared token, authenticates an officer, and issues
 * the given approved requests with `concurrency` workers. Prints one JSON line per outcome as
 * soon as it has one: {requestId, number, certificate} after T2 committed, or {requestId, code}.
 */
import { openPkcs11KeyManager } from '../../hsm/pkcs11KeyManager';
import { loadProfile } from '../../hsm/profile';
import { issueCertificate } from '../../lib/ca/issuance';
import { authenticate } from '../../lib/ca/operators';
import type { CaServices } from '../../lib/ca/services';
import { openDatabase } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';

export interface IssuanceChildSpec {
  /** PostgreSQL URL, or the PGlite data directory (the parent has closed it). */
  readonly database: { readonly url: string } | { readonly dataDir: string };
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly profile: string;
  readonly centerId: number;
  readonly operator: string;
  readonly password: string;
  readonly requestIds: readonly number[];
  readonly concurrency: number;
}

const spec = JSON.parse(process.env.TQCA_ISSUANCE_CHILD ?? '{}') as IssuanceChildSpec;
const keys = unwrap(
  await openPkcs11KeyManager({ modulePath: spec.modulePath, tokenLabel: spec.tokenLabel, pin: spec.pin, profile: unwrap(loadProfile(spec.profile)), poolSize: spec.concurrency }),
);
const db = await openDatabase({ ...spec.database, migrate: false });
const ca: CaServices = { prisma: db.prisma, keys, centerId: spec.centerId, now: () => new Date() };
const officer = unwrap(await authenticate(ca, spec.operator, spec.password));

const queue = [...spec.requestIds];
async function worker(): Promise<void> {
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const issued = await issueCertificate(ca, officer, id);
    const line = issued.ok ? { requestId: id, number: issued.value.number, certificate: issued.value.certificate } : { requestId: id, code: issued.error.code };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
await Promise.all(Array.from({ length: spec.concurrency }, worker));
await keys.close();
await db.close();
process.stdout.write('{"done":true}\n');
