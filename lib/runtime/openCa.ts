/**
 * The composition root: the one module that knows both the HSM layer and the CA, and hands the
 * HSM's key manager to the CA as the keys it declares (lib/ca/keys.ts).
 *
 * Opens the CA services as a process configures them: the database (DATABASE_URL, else the
 * embedded PGlite), the HSM (TQCA_PKCS11_MODULE…, else the embedded software token, initialised
 * on first use — never under root keys in use) checked against the root keys (lib/ca/hsmCheck),
 * and the clearing-center id (TQCA_CENTER_ID, 8 hex digits, default 00000001), then runs the
 * start-up recovery.
 */
import { openHsm, QuorumGate, resolveHsmConfig, signingPosture, type SigningPosture } from '../../hsm';
import { bytesToUint, parseHex } from '../bytes';
import { checkHsmAtStartup, LogWatch, mayInitialiseToken, recoverAtStartup, type CaServices, type SigningActivation } from '../ca';
import { embeddedDataDir, openDatabase, type Database } from '../db/client';
import { err, ok, type Result } from '../errors';

export const DEFAULT_CENTER_ID = '00000001';

type Env = Readonly<Record<string, string | undefined>>;

export interface OpenCa {
  readonly ca: CaServices;
  readonly db: Database;
  /** Under TQCA_HSM_QUORUM: the gate K officers open (lib/ca/activation.ts); null when the PIN is configured. */
  readonly activation: SigningActivation | null;
  /** Where the PIN comes from; `notice` is set for the evaluation token with its PIN on disk. */
  readonly signing: SigningPosture;
  /** The live log check: the server runs `check()` at start-up and `start(ms)`; it latches signing on failure. */
  readonly logWatch: LogWatch;
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
  const db = await openDatabase({ url: env.DATABASE_URL || undefined, dataDir: embeddedDataDir(env), create: !readOnly });
  const now = () => new Date();
  // The database first: a token store is not re-created empty under root keys in use (hsmCheck).
  const opened = await openHsm(config.value, { initialise: !readOnly && (await mayInitialiseToken(db.prisma)) });
  const checked = await checkHsmAtStartup({ prisma: db.prisma, now }, opened);
  if (!checked.ok) {
    await db.close();
    return checked;
  }
  const closeHsm = async () => {
    if (opened.ok) await opened.value.close();
  };
  // The log is checked before this process can sign; a failure latches its keys (lib/ca/logIntegrity.ts).
  const logWatch = new LogWatch({ prisma: db.prisma, now }, { record: !readOnly });
  if (!readOnly) await logWatch.check();
  const ca: CaServices = { prisma: db.prisma, keys: logWatch.guard(checked.value.keys), centerId: centerId.value, now };
  const recovered = await recoverAtStartup(ca);
  if (!recovered.ok) {
    await closeHsm();
    await db.close();
    return recovered;
  }
  return ok({
    ca,
    db,
    activation: opened.ok && opened.value instanceof QuorumGate ? opened.value : null,
    signing: signingPosture(config.value),
    logWatch,
    async close() {
      await closeHsm();
      await db.close();
    },
  });
}
