/**
 * The CA services of this server process, opened once through the composition root on first use
 * and shared by every route handler (and, later, the console's pages and actions). Nothing else
 * in the app opens the database or the HSM: the embedded PGlite belongs to exactly one opener.
 */
import { openCa, type OpenCa } from '../runtime/openCa';
import { TqException } from '../errors';

// On globalThis: Next may evaluate this module once per route bundle in the same process.
const holder = globalThis as typeof globalThis & { __tqcaServer?: Promise<OpenCa>; __tqcaBeforeClose?: (() => Promise<void>)[] };
const beforeCloseHooks = (holder.__tqcaBeforeClose ??= []);

/** Work to finish while the CA is still open when the process is told to stop (e.g. flushing counters). */
export function beforeClose(hook: () => Promise<void>): void {
  beforeCloseHooks.push(hook);
}

async function open(): Promise<OpenCa> {
  const opened = await openCa();
  if (!opened.ok) throw new TqException(opened.error);
  let closing: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      closing ??= Promise.allSettled(beforeCloseHooks.map((hook) => hook()))
        .then(() => opened.value.close())
        .finally(() => process.exit(0));
    });
  }
  return opened.value;
}

/** The process's opened CA; a failed open is forgotten so that a later request tries again. */
export function serverCa(): Promise<OpenCa> {
  holder.__tqcaServer ??= open().catch((e: unknown) => {
    holder.__tqcaServer = undefined;
    throw e;
  });
  return holder.__tqcaServer;
}
