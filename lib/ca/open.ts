/**
 * Opens the CA services as a process configures them: the database (DATABASE_URL, else the
 * embedded PGlite), the HSM (TQCA_PKCS11_MODULE…, else the embedded software token, initialised
 * on first use — never under root keys in use) checked against the root keys (lib/ca/hsmCheck),
 * and the clearing-center id (TQCA_CENTER_ID, 8 hex digits, default 00000001), then runs the
 * start-up recovery.
 */
import { openHsm, resolveHsmConfig } from '../../hsm';
import { bytesToUint, parseHex } from '../bytes';
import { embeddedDataDir, openDatabase, type Database } from '../db/client';
import { err, ok, type Result } from '../errors';
import { checkHsmAtStartup, mayInitialiseToken } from './hsmCheck';
import { recoverAtStartup } from './recovery';
import type { CaServices } from './services';

export const DEFAULT_CENTER_ID = '00000001';

type Env = Readonly<Record<string, string | undefined>>;

export interface OpenCa {
  readonly ca: CaServices;
  readonly db: Database;
  close(): Promise<void>;
}

export function centerIdFrom(env: Env): Result<number> {
  const text = env.TQCA_CENTER_ID || DEFAULT_CENTER_ID;
  const bytes = parseHex(text, 'TQCA_CENTER_ID');
  if (!bytes.ok || bytes.value.length !== 4 || bytesToUint(bytes.value) === 0) {
    return err('CENTER_ID_INVALID', 'TQCA_CENTER_ID must be 8 hex digits, not 00000000', { field: 'TQCA_CENTER_ID', details: { value: text } });
  }
  return ok(bytesToUint(bytes.value));
}

export async function openCa(env: Env = process.env): Promise<Result<OpenCa>> {
  const centerId = centerIdFrom(env);
  if (!centerId.ok) return centerId;
  const config = resolveHsmConfig(env);
  if (!config.ok) return config;
  const db = await openDatabase({ url: env.DATABASE_URL || undefined, dataDir: embeddedDataDir(env) });
  const now = () => new Date();
  // The database first: a token store is not re-created empty under root keys in use (hsmCheck).
  const opened = await openHsm(config.value, { initialise: await mayInitialiseToken(db.prisma) });
  const keys = await checkHsmAtStartup({ prisma: db.prisma, now }, opened);
  if (!keys.ok) {
    await db.close();
    return keys;
  }
  const ca: CaServices = { prisma: db.prisma, keys: keys.value.keys, centerId: centerId.value, now };
  const recovered = await recoverAtStartup(ca);
  if (!recovered.ok) {
    await keys.value.keys.close();
    await db.close();
    return recovered;
  }
  return ok({
    ca,
    db,
    async close() {
      await keys.value.keys.close();
      await db.close();
    },
  });
}
