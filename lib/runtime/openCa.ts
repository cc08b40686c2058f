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
import { announceLeadDaysFrom, checkHsmAtStartup, LogWatch, mayInitialiseToken, recoverAtStartup, type CaServices, type SigningActivation } from '../ca';
import { embeddedDataDir, openDatabase, type Database } from '../db/client';
import { err, ok, type Result } from '../errors';
import { DEFAULT_PUBLICATION_POLICY, publish, startPublicationScheduler, type PublicationPolicy } from '../publication';

export const DEFAULT_CENTER_ID = '00000001';

type Env = Readonly<Record<string, string | undefined>>;

export interface OpenCa {
  readonly ca: CaServices;
  readonly db: Database;
  /** Under TQCA_HSM_QUORUM: the gate K officers open (lib/ca/activation.ts); null when the PIN is configured. */
  readonly activation: SigningActivation | null;
  /** Where the PIN comes from; `notice` is set for the evaluation token with its PIN on disk. */
  readonly signing: SigningPosture;
  readonly publicationPolicy: PublicationPolicy;
  /** The live log check: a writing process runs it at start-up (full), the server on a timer too (`logCheckIntervalMs`); it latches signing on failure. */
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

/**
 * TQCA_BUNDLE_LIFETIME_HOURS (default 168, 7 days) and TQCA_BUNDLE_LEAD_HOURS (default 24): how
 * long a bundle lives, and how long before its expiry the next one is published.
 */
export function publicationPolicyFrom(env: Env): Result<PublicationPolicy> {
  // Seconds either way: the default is the policy's own, a setting is whole hours.
  const hours = (name: string, fallbackSeconds: number): Result<number> => {
    const text = env[name];
    if (!text) return ok(fallbackSeconds);
    if (!/^[1-9][0-9]*$/.test(text)) return err('PUBLICATION_POLICY_INVALID', `${name} must be a whole number of hours`, { field: name, details: { value: text } });
    return ok(Number(text) * 3600);
  };
  const lifetime = hours('TQCA_BUNDLE_LIFETIME_HOURS', DEFAULT_PUBLICATION_POLICY.lifetimeSeconds);
  if (!lifetime.ok) return lifetime;
  const lead = hours('TQCA_BUNDLE_LEAD_HOURS', DEFAULT_PUBLICATION_POLICY.leadSeconds);
  if (!lead.ok) return lead;
  if (lead.value >= lifetime.value) {
    return err('PUBLICATION_POLICY_INVALID', 'TQCA_BUNDLE_LEAD_HOURS must be shorter than TQCA_BUNDLE_LIFETIME_HOURS', { field: 'TQCA_BUNDLE_LEAD_HOURS' });
  }
  return ok({ lifetimeSeconds: lifetime.value, leadSeconds: lead.value });
}

export interface OpenCaOptions {
  /**
   * For callers that only read: nothing is created on a fresh data directory (no token, PINs or
   * database; HSM_TOKEN_NOT_FOUND or DB_NOT_FOUND instead).
   */
  readonly readOnly?: boolean;
  /**
   * A long-running server: record certificate expiries and publish on a timer (expiry, bundles
   * nearing theirs) every this many ms.
   */
  readonly publicationIntervalMs?: number;
  /** A long-running server: check the log appended since the last check every this many ms, the whole log every `logFullCheckIntervalMs`. */
  readonly logCheckIntervalMs?: number;
  readonly logFullCheckIntervalMs?: number;
  /**
   * A long-running server holding the embedded database shares it with `tqca` over an owner-only
   * Unix socket (lib/db/embeddedServer.ts); a process that finds it held joins it either way.
   */
  readonly serveEmbedded?: boolean;
}

export async function openCa(env: Env = process.env, options: OpenCaOptions = {}): Promise<Result<OpenCa>> {
  const { readOnly = false } = options;
  const centerId = centerIdFrom(env);
  if (!centerId.ok) return centerId;
  const policy = publicationPolicyFrom(env);
  if (!policy.ok) return policy;
  const announceLead = announceLeadDaysFrom(env.TQCA_ROOT_ANNOUNCE_LEAD_DAYS);
  if (!announceLead.ok) return announceLead;
  const config = resolveHsmConfig(env, { createSecrets: !readOnly });
  if (!config.ok) return config;
  const db = await openDatabase({ url: env.DATABASE_URL || undefined, dataDir: embeddedDataDir(env), create: !readOnly, serve: options.serveEmbedded });
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
  // Every committed change that alters a bundle publishes the next version (lib/publication).
  const ca: CaServices = {
    prisma: db.prisma,
    keys: logWatch.guard(checked.value.keys),
    centerId: centerId.value,
    rootKeyAnnounceLeadDays: announceLead.value,
    now,
    async changed(reason) {
      try {
        const published = await publish(ca, reason, { policy: policy.value });
        if (!published.ok) process.stderr.write(`tqca: publication after ${reason} failed: ${published.error.code}: ${published.error.message}\n`);
      } catch (thrown) {
        // The change itself committed; the timer publishes later.
        process.stderr.write(`tqca: publication after ${reason} failed: ${thrown instanceof Error ? thrown.message : String(thrown)}\n`);
      }
    },
  };
  const recovered = await recoverAtStartup(ca);
  if (!recovered.ok) {
    await closeHsm();
    await db.close();
    return recovered;
  }
  const stopLogWatch = options.logCheckIntervalMs && !readOnly ? logWatch.start(options.logCheckIntervalMs, options.logFullCheckIntervalMs) : null;
  const scheduler = options.publicationIntervalMs ? startPublicationScheduler(ca, { intervalMs: options.publicationIntervalMs, policy: policy.value }) : null;
  return ok({
    ca,
    db,
    publicationPolicy: policy.value,
    activation: opened.ok && opened.value instanceof QuorumGate ? opened.value : null,
    signing: signingPosture(config.value),
    logWatch,
    async close() {
      stopLogWatch?.();
      await scheduler?.stop();
      await closeHsm();
      await db.close();
    },
  });
}
