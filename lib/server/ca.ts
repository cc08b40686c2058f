/**
 * The CA services of this server process, opened once through the composition root on first use
 * and shared by pages, server actions and route handlers. Nothing else in the app opens the
 * database or the HSM: the embedded PGlite belongs to exactly one opener, which serves it to `tqca`
 * on an owner-only socket (lib/db/embeddedServer.ts). The server publishes on a timer too (bundle
 * expiry and lead, certificate expiries recorded in the log), once a minute, and checks the log.
 */
import type { CaServices, LiveLogCheck, SignInContext } from '../ca';
import { TqException } from '../errors';
import { openCa, type OpenCa } from '../runtime/openCa';
import { sessionPolicyFrom } from './config';
import { consoleKeys } from './secrets';

export const PUBLICATION_INTERVAL_MS = 60_000;
// The live log check (pages show its last result): what was appended, every minute; the whole log, every hour.
export const LOG_CHECK_INTERVAL_MS = 60_000;
export const LOG_FULL_CHECK_INTERVAL_MS = 3_600_000;

export interface ConsoleServices {
  readonly ca: CaServices;
  /** The same database and clock, with the session policy and the TOTP sealing key. */
  readonly auth: SignInContext;
  /** The bundle lifetime and lead this server publishes with (the distribution page's thresholds come from the lead). */
  readonly publicationPolicy: OpenCa['publicationPolicy'];
}

interface ServerServices extends ConsoleServices {
  readonly opened: OpenCa;
}

// On globalThis: Next may evaluate this module once per route bundle in the same process.
const holder = globalThis as typeof globalThis & { __tqcaServer?: Promise<ServerServices>; __tqcaBeforeClose?: (() => Promise<void>)[] };
const beforeCloseHooks = (holder.__tqcaBeforeClose ??= []);

/** Work to finish while the CA is still open when the process is told to stop (e.g. flushing counters). */
export function beforeClose(hook: () => Promise<void>): void {
  beforeCloseHooks.push(hook);
}

async function open(): Promise<ServerServices> {
  const policy = sessionPolicyFrom();
  const { sealKey } = consoleKeys();
  const opened = await openCa(process.env, {
    publicationIntervalMs: PUBLICATION_INTERVAL_MS,
    logCheckIntervalMs: LOG_CHECK_INTERVAL_MS,
    logFullCheckIntervalMs: LOG_FULL_CHECK_INTERVAL_MS,
    serveEmbedded: true,
  });
  if (!opened.ok) throw new TqException(opened.error);
  let closing: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      closing ??= Promise.allSettled(beforeCloseHooks.map((hook) => hook()))
        .then(() => opened.value.close())
        .finally(() => process.exit(0));
    });
  }
  const { ca } = opened.value;
  return { opened: opened.value, ca, auth: { prisma: ca.prisma, now: ca.now, sealKey, policy }, publicationPolicy: opened.value.publicationPolicy };
}

/** Opened once; a failed open is forgotten so that a later request tries again (the database or HSM may be back). */
function services(): Promise<ServerServices> {
  holder.__tqcaServer ??= open().catch((e: unknown) => {
    holder.__tqcaServer = undefined;
    throw e;
  });
  return holder.__tqcaServer;
}

/** The process's opened CA, for route handlers. */
export const serverCa = async (): Promise<OpenCa> => (await services()).opened;

/** The live log check's newest result (lib/ca/logIntegrity.ts LogWatch), for the audit pages. */
export const lastLogCheck = async (): Promise<LiveLogCheck | null> => (await services()).opened.logWatch.lastCheck;

/** The CA and the console's sign-in context, for pages and server actions. */
export const consoleServices = async (): Promise<ConsoleServices> => {
  const { ca, auth, publicationPolicy } = await services();
  return { ca, auth, publicationPolicy };
};
