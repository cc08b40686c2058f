/**
 * What the bundle endpoints share: the strict parse of a version in a path or query (decimal
 * 1–4294967295, nothing else), and this process's one manifest watch and one poll counter.
 */
import type { CaServices } from '../ca';
import { err, ok, type Result } from '../errors';
import { latestManifest } from '../publication';
import { beforeClose } from '../server/ca';
import { ManifestWatch } from './manifestWatch';
import { PollCounter } from './pollCounter';

const MAX_VERSION = 0xffffffff;

/** A published version's bytes (bundle or delta between two) never change. */
export const IMMUTABLE = { 'cache-control': 'public, max-age=31536000, immutable' } as const;

/** A bundle version as a client writes it: decimal digits without sign or leading zero, 1–4294967295. */
export function parseVersion(text: string | null, field: string): Result<number> {
  const invalid = () => err('API_VERSION_INVALID', `${field} must be a decimal integer 1–${MAX_VERSION}`, { field, details: { given: (text ?? '').slice(0, 32) } });
  if (text === null || !/^[1-9][0-9]{0,9}$/.test(text)) return invalid();
  const version = Number(text);
  return version <= MAX_VERSION ? ok(version) : invalid();
}

interface BundleState {
  readonly watch: ManifestWatch;
  readonly polls: PollCounter;
}

// On globalThis, as clients.ts keeps its state: one per process whichever route bundle loads this.
const holder = globalThis as typeof globalThis & { __tqcaBundles?: BundleState };

export function bundleState(ca: CaServices): BundleState {
  if (!holder.__tqcaBundles) {
    const polls = new PollCounter(ca);
    beforeClose(() => polls.flush());
    holder.__tqcaBundles = { watch: new ManifestWatch(() => latestManifest(ca)), polls };
  }
  return holder.__tqcaBundles;
}
