/**
 * The current manifest as this process serves it, kept in memory and refreshed by a timer (one
 * read a second, never one per request), so `GET /bundles/latest` with a matching If-None-Match
 * answers 304 without touching the database, and a version another process published is served
 * here within about a second. The strong ETag is derived from the manifest bytes themselves.
 */
import { toHex } from '../bytes';
import { sm3 } from '../crypto/sm3';
import type { Result } from '../errors';

export interface PublishedManifest {
  readonly version: number;
  /** The 122-byte A5 record. */
  readonly manifest: Uint8Array;
  readonly bodySm3: Uint8Array;
  readonly publishedAt: Date;
  readonly expiresAt: Date;
}

export interface ServedManifest extends PublishedManifest {
  /** Strong ETag: the version and the manifest's SM3, quoted. */
  readonly etag: string;
}

export const REFRESH_MS = 1000;

export const etagOf = (m: PublishedManifest): string => `"${m.version}-${toHex(sm3(m.manifest)).slice(0, 32)}"`;

/** RFC 9110 §13.1.2: If-None-Match matches on `*` or any listed tag under weak comparison. */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

export class ManifestWatch {
  #current: Result<ServedManifest> | undefined;
  #first: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly load: () => Promise<Result<PublishedManifest>>,
    private readonly refreshMs = REFRESH_MS,
  ) {}

  /** The manifest to serve: from memory once the first read is done. */
  async current(): Promise<Result<ServedManifest>> {
    if (this.#current === undefined) {
      this.#first ??= this.#refresh();
      await this.#first;
      this.#timer ??= setInterval(() => void this.#refresh(), this.refreshMs).unref();
    }
    return this.#current!;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #refresh(): Promise<void> {
    try {
      const loaded = await this.load();
      this.#current = loaded.ok ? { ok: true, value: { ...loaded.value, etag: etagOf(loaded.value) } } : loaded;
    } catch (e) {
      // A lost database keeps the last good manifest in service; the first read has nothing to keep.
      if (this.#current === undefined) throw e;
    }
  }
}
