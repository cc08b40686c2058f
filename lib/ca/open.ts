/**
 * Opens the CA services as a process configures them: the database (DATABASE_URL, else the
 * embedded PGlite), the HSM (TQCA_PKCS11_MODULE…, else the embedded software token, initialised
 * on first use) and the clearing-center id (TQCA_CENTER_ID, 8 hex digits, default 00000001),
 * then runs the start-up recovery.
 */
import { openHsm, resolveHsmConfig } from '../../hsm';
import { bytesToUint, parseHex } from '../bytes';
import { embeddedDataDir, openDatabase, type Database } from '../db/client';
import { err, ok, type Result } from '../errors';
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

export interface OpenCaOptions {
  /**
   * For callers that only read: nothing is created on a fresh data directory (no token, PINs or
   * database; HSM_TOKEN_NOT_FOUND or DB_NOT_FOUND instead).
   */
  readonly readOnly?: boolean;
}

export async function openCa(env: Env = process.env, { readOnly = false }: OpenCaOptions = {}): Promise<Result<OpenCa>> {
  const centerId = centerIdFrom(env);
  if (!centerId.ok) return centerId;
  const config = resolveHsmConfig(env, { createSecrets: !readOnly });
  if (!config.ok) return config;
  const keys = await openHsm(config.value, { initialise: !readOnly });
  if (!keys.ok) return keys;
  let db: Database;
  try {
    db = await openDatabase({ url: env.DATABASE_URL || undefined, dataDir: embeddedDataDir(env), create: !readOnly });
  } catch (thrown) {
    await keys.value.close();
    throw thrown;
  }
  const ca: CaServices = { prisma: db.prisma, keys: keys.value, centerId: centerId.value, now: () => new Date() };
  const recovered = await recoverAtStartup(ca);
  if (!recovered.ok) {
    await keys.value.close();
    await db.close();
    return recovered;
  }
  return ok({
    ca,
    db,
    async close() {
      await keys.value.close();
      await db.close();
    },
  });
}
