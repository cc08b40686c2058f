/**
 * The CA services of this server process, opened once through the composition root and shared by
 * pages, server actions and route handlers. Nothing else in the app opens the database or the HSM.
 */
import type { CaServices, SignInContext } from '../ca';
import { TqException } from '../errors';
import { openCa } from '../runtime/openCa';
import { sessionPolicyFrom } from './config';
import { consoleKeys } from './secrets';

export interface ConsoleServices {
  readonly ca: CaServices;
  /** The same database and clock, with the session policy and the TOTP sealing key. */
  readonly auth: SignInContext;
}

// On globalThis: Next may evaluate this module more than once per process (route bundles), and
// the embedded database belongs to exactly one opener.
const holder = globalThis as typeof globalThis & { __tqcaConsole?: Promise<ConsoleServices> };

async function open(): Promise<ConsoleServices> {
  const policy = sessionPolicyFrom();
  const { sealKey } = consoleKeys();
  const opened = await openCa();
  if (!opened.ok) throw new TqException(opened.error);
  const { ca, close } = opened.value;
  let closing: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      closing ??= close().finally(() => process.exit(0));
    });
  }
  return { ca, auth: { prisma: ca.prisma, now: ca.now, sealKey, policy } };
}

export function consoleServices(): Promise<ConsoleServices> {
  holder.__tqcaConsole ??= open().catch((e: unknown) => {
    holder.__tqcaConsole = undefined; // a later request may find the database or HSM back
    throw e;
  });
  return holder.__tqcaConsole;
}
