/**
 * What a separate test process needs to act as the CA (the concurrency, crash and publication
 * tests): the shared token, the center id and an officer's credentials, passed as JSON in its
 * environment; the parent derives them from its harness, the child opens its own database
 * connection and PKCS#11 sessions with them.
 */
import { openPkcs11KeyManager } from '../../hsm/pkcs11KeyManager';
import { loadProfile } from '../../hsm/profile';
import { authenticate, type CaServices, type Operator } from '../../lib/ca';
import { openDatabase, type Database } from '../../lib/db/client';
import { unwrap } from '../../lib/errors';
import { CENTER_ID, PASSWORD, type Harness } from './harness';

export interface ChildCaSpec {
  /** PostgreSQL URL, or the PGlite data directory (the parent has closed it). */
  readonly database: { readonly url: string } | { readonly dataDir: string };
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly profile: string;
  readonly centerId: number;
  readonly operator: string;
  readonly password: string;
}

/** The harness's token and CA, for a child acting as bob. */
export const childCaSpec = (h: Harness, database: ChildCaSpec['database']): ChildCaSpec => ({
  database,
  modulePath: h.token.modulePath,
  tokenLabel: h.token.tokenLabel,
  pin: h.token.pin,
  profile: h.token.profile.name,
  centerId: CENTER_ID,
  operator: 'bob',
  password: PASSWORD,
});

export async function openChildCa(spec: ChildCaSpec, poolSize: number): Promise<{ ca: CaServices; officer: Operator; db: Database; close(): Promise<void> }> {
  const keys = unwrap(await openPkcs11KeyManager({ modulePath: spec.modulePath, tokenLabel: spec.tokenLabel, pin: spec.pin, profile: unwrap(loadProfile(spec.profile)), poolSize }));
  const db = await openDatabase({ ...spec.database, migrate: false });
  const ca: CaServices = { prisma: db.prisma, keys, centerId: spec.centerId, now: () => new Date() };
  const officer = unwrap(await authenticate(ca, spec.operator, spec.password));
  return {
    ca,
    officer,
    db,
    async close() {
      await keys.close();
      await db.close();
    },
  };
}
