/**
 * One pull of the reference TMS (TQ-CERT-1 §12, client side): poll the manifest with If-None-Match;
 * on a newer version take the delta from the installed one (§12.3), falling back to the full bundle;
 * verify the result as a full bundle with the client algorithm (§12.2, lib/codec verifyBundle)
 * against the installed predecessor; install it atomically; acknowledge it with its body SM3.
 *
 * Anything that fails — a byte flipped on the way, a version lower than the installed one (a server
 * restored from an older backup), a bundle past its expiry — refuses the new bundle and keeps the
 * installed one. Whatever happened, a bundle installed that is past or near its expiry is an alarm:
 * the center has stopped publishing, and the terminals would go on with an old revocation list.
 *
 * A manifest signed by a root the client does not trust yet (a root rotation while the client was
 * away) is reached by walking the versions in between, each verified against the one before: the
 * version that first lists the new root is signed by one the client trusts (lib/publication).
 */
import { equal, toHex } from '../../bytes';
import { applyDelta, decodeBundle, manifestRecord, MANIFEST_RECORD_LENGTH, MAX_BUNDLE_LENGTH, MAX_DELTA_LENGTH, rootKeyRecord, verifyBundle, type Bundle, type ManifestRecord, type TrustedRoot } from '../../codec';
import { Code, err, ok, type Result, type TqError } from '../../errors';
import { answerError, call, callJson, type ApiEndpoint } from '../http';
import { lockStateDir, openStateDir, readInstalled, writeInstalled, type Installed } from './state';

/** How the client comes to trust its first root keys (TQ-CERT-1 §9: the check value, confirmed out of band). */
export interface Bootstrap {
  /** Check values (A2 bytes 77–108) compared out of band: the first bundle's A2 records carrying them are trusted. */
  readonly checkValues: readonly Uint8Array[];
  /** A2 records obtained out of band (each checks its own check value when decoded). */
  readonly rootRecords: readonly Uint8Array[];
}

export interface PullOptions {
  readonly endpoint: ApiEndpoint;
  readonly stateDir: string;
  /** Used only while nothing is installed; afterwards T is what the installed bundles earned. */
  readonly bootstrap: Bootstrap;
  /** The clearing center the client is configured for, when it is. */
  readonly centerId?: number;
  readonly now: Date;
  /** An installed bundle this close to its expiry is an alarm (default 12 h: the center republishes a day ahead). */
  readonly warnSeconds?: number;
}

export type PullOutcome = 'current' | 'installed' | 'refused';

export interface PullReport {
  readonly outcome: PullOutcome;
  /** The newest version the server offered, when it answered. */
  readonly offered: number | null;
  /** The versions verified and, for the last, installed this time (several after a walk across a root rotation). */
  readonly verified: readonly { readonly version: number; readonly via: 'delta' | 'full'; readonly deltaRefused?: TqError }[];
  /** What is installed after the pull (the last good bundle when refused). */
  readonly installed: Installed | null;
  /** Why the server's bundle was refused, or the server could not be asked. */
  readonly error?: TqError;
  /** The installed bundle is past or near its expiry. */
  readonly alarm?: TqError;
  /** The acknowledgement of the installed version failed (it is retried at the next pull). */
  readonly acknowledgementError?: TqError;
}

export const DEFAULT_WARN_SECONDS = 12 * 3600;

interface Latest {
  readonly notModified: boolean;
  readonly etag: string | null;
  readonly manifest?: ManifestRecord;
  /** The manifest's 122 bytes, as served. */
  readonly manifestBytes?: Uint8Array;
}

export async function pull(options: PullOptions): Promise<PullReport> {
  const dir = await openStateDir(options.stateDir);
  if (!dir.ok) return { outcome: 'refused', offered: null, verified: [], installed: null, error: dir.error };
  const lock = await lockStateDir(options.stateDir);
  if (!lock.ok) return { outcome: 'refused', offered: null, verified: [], installed: null, error: lock.error };
  try {
    return await pullLocked(options);
  } finally {
    await lock.value.release();
  }
}

async function pullLocked(options: PullOptions): Promise<PullReport> {
  const held = await readInstalled(options.stateDir);
  if (!held.ok) return { outcome: 'refused', offered: null, verified: [], installed: null, error: held.error };
  let installed = held.value;
  const finish = async (report: Omit<PullReport, 'installed' | 'alarm' | 'acknowledgementError'>): Promise<PullReport> => {
    let acknowledgementError: TqError | undefined;
    if (installed && !installed.acknowledged) {
      const acked = await acknowledge(options.endpoint, installed.bundle.manifest);
      if (acked.ok) {
        const written = await writeInstalled(options.stateDir, { ...installed, acknowledged: true });
        if (written.ok) installed = written.value;
        else acknowledgementError = written.error;
      } else acknowledgementError = acked.error;
    }
    const alarm = installed ? staleness(installed.bundle.manifest, options.now, options.warnSeconds ?? DEFAULT_WARN_SECONDS) : undefined;
    return { ...report, installed, ...(alarm ? { alarm } : {}), ...(acknowledgementError ? { acknowledgementError } : {}) };
  };

  const latest = await pollLatest(options.endpoint, installed?.etag ?? null);
  if (!latest.ok) return finish({ outcome: 'refused', offered: null, verified: [], error: latest.error });
  if (latest.value.notModified || !latest.value.manifest) return finish({ outcome: 'current', offered: installed?.bundle.manifest.version ?? null, verified: [] });
  const manifest = latest.value.manifest;
  const offered = manifest.version;
  if (installed) {
    const at = installed.bundle.manifest.version;
    if (offered < at) {
      return finish({
        outcome: 'refused',
        offered,
        verified: [],
        error: { code: Code.BUNDLE_ROLLBACK, message: `the server offers version ${offered}, older than the installed ${at}: refused (a server restored from an older backup?)`, field: 'manifest.version', details: { offered, installed: at } },
      });
    }
    if (offered === at) {
      if (!equal(latest.value.manifestBytes!, installed.bundle.bytes.subarray(0, MANIFEST_RECORD_LENGTH))) {
        return finish({ outcome: 'refused', offered, verified: [], error: { code: Code.BUNDLE_VERSION_CONFLICT, message: `the server's version ${offered} differs from the installed bundle of that version`, field: 'manifest.version' } });
      }
      // The same version under a new ETag (another server process): remember the ETag.
      const written = await writeInstalled(options.stateDir, { ...installed, etag: latest.value.etag });
      if (written.ok) installed = written.value;
      return finish({ outcome: 'current', offered, verified: [] });
    }
  }

  let trusted: readonly TrustedRoot[];
  let first: Uint8Array | undefined;
  if (installed) trusted = installed.trustedRoots;
  else if (options.bootstrap.checkValues.length === 0 && options.bootstrap.rootRecords.length === 0) {
    return finish({ outcome: 'refused', offered, verified: [], error: err('CLIENT_TRUST_MISSING', 'nothing is installed and no root key is trusted: give --root-check <check value> or --roots-file <A2 records>').error });
  } else {
    // The first bundle is fetched whole (there is nothing to apply a delta to); its A2 records carry the check values.
    const bytes = await getBytes(options.endpoint, `api/v1/bundles/${offered}`, MAX_BUNDLE_LENGTH);
    const roots = bytes.ok ? bootstrapTrust(options.bootstrap, bytes.value, offered) : bytes;
    if (!roots.ok) return finish({ outcome: 'refused', offered, verified: [], error: roots.error });
    trusted = roots.value;
    first = bytes.ok ? bytes.value : undefined;
  }
  // A signer the client does not trust yet: walk from the installed version, one verified version at a time.
  const signerTrusted = trusted.some((r) => r.rootKeyIndex === manifest.rootKeyIndex);
  const versions = installed && !signerTrusted ? range(installed.bundle.manifest.version + 1, offered) : [offered];
  const verified: PullReport['verified'][number][] = [];
  let previous = installed?.bundle;
  for (const version of versions) {
    const step = await fetchVerified(options, version, previous, trusted, version < offered, first);
    if (!step.ok) return finish({ outcome: 'refused', offered, verified, error: step.error });
    verified.push({ version, via: step.value.via, ...(step.value.deltaRefused ? { deltaRefused: step.value.deltaRefused } : {}) });
    previous = step.value.bundle;
    trusted = step.value.trustedRoots;
  }
  const written = await writeInstalled(options.stateDir, { bundle: previous!, etag: latest.value.etag, trustedRoots: trusted, installedAt: options.now, acknowledged: false });
  if (!written.ok) return finish({ outcome: 'refused', offered, verified, error: written.error });
  installed = written.value;
  return finish({ outcome: 'installed', offered, verified });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** GET /bundles/latest with If-None-Match: 304, or the manifest (checked as a record) with its ETag. */
async function pollLatest(endpoint: ApiEndpoint, etag: string | null): Promise<Result<Latest>> {
  const answer = await call(endpoint, 'api/v1/bundles/latest', { headers: { accept: 'application/octet-stream', ...(etag ? { 'if-none-match': etag } : {}) }, maxBytes: 4096 });
  if (!answer.ok) return answer;
  const { status, headers, body } = answer.value;
  const newEtag = typeof headers.etag === 'string' ? headers.etag : null;
  if (status === 304) return ok({ notModified: true, etag: newEtag ?? etag });
  if (status !== 200) return { ok: false, error: answerError(answer.value) };
  const manifest = manifestRecord.decode(new Uint8Array(body));
  if (!manifest.ok) return { ok: false, error: { ...manifest.error, field: `manifest.${manifest.error.field ?? ''}` } };
  return ok({ notModified: false, etag: newEtag, manifest: manifest.value, manifestBytes: new Uint8Array(body) });
}

/** One immutable binary resource (a bundle or a delta). */
async function getBytes(endpoint: ApiEndpoint, path: string, maxBytes: number): Promise<Result<Uint8Array>> {
  const answer = await call(endpoint, path, { headers: { accept: 'application/octet-stream' }, maxBytes });
  if (!answer.ok) return answer;
  return answer.value.status === 200 ? ok(new Uint8Array(answer.value.body)) : { ok: false, error: answerError(answer.value) };
}

interface Step {
  readonly bundle: Bundle;
  readonly trustedRoots: readonly TrustedRoot[];
  readonly via: 'delta' | 'full';
  readonly deltaRefused?: TqError;
}

/**
 * Version `version`: by delta from `previous` when there is one, else (or when the delta fails in
 * any way) in full; verified either way. A version on the way to the offered one (`intermediate`)
 * is checked at its own publication time: it may have expired since, and it serves only to carry
 * trust to the next signer (as TUF checks the root versions between the held and the newest);
 * the version installed is always checked at now.
 */
async function fetchVerified(options: PullOptions, version: number, previous: Bundle | undefined, trusted: readonly TrustedRoot[], intermediate: boolean, fetched?: Uint8Array): Promise<Result<Step>> {
  const check = (bytes: Uint8Array) => {
    const manifest = manifestRecord.decode(bytes.subarray(0, MANIFEST_RECORD_LENGTH));
    const now = intermediate && manifest.ok ? new Date(manifest.value.publicationTime * 1000) : options.now;
    const verified = verifyBundle({ bundle: bytes, trustedRoots: trusted, previous, centerId: options.centerId, now, previousVerified: previous !== undefined });
    if (!verified.ok) return verified;
    if (verified.value.bundle.manifest.version !== version) return err(Code.BUNDLE_VERSION_CONFLICT, `asked for version ${version}, the server sent ${verified.value.bundle.manifest.version}`, { field: 'manifest.version' });
    return verified;
  };
  let deltaRefused: TqError | undefined;
  if (previous) {
    const delta = await getBytes(options.endpoint, `api/v1/bundles/${version}/delta?from=${previous.manifest.version}`, MAX_DELTA_LENGTH);
    const rebuilt = delta.ok ? applyDelta(previous.bytes, delta.value) : delta;
    const verified = rebuilt.ok ? check(rebuilt.value) : rebuilt;
    if (verified.ok) return ok({ ...verified.value, via: 'delta' });
    deltaRefused = verified.error;
  }
  const full = fetched ? ok(fetched) : await getBytes(options.endpoint, `api/v1/bundles/${version}`, MAX_BUNDLE_LENGTH);
  const verified = full.ok ? check(full.value) : full;
  if (!verified.ok) return verified;
  return ok({ ...verified.value, via: 'full', ...(deltaRefused ? { deltaRefused } : {}) });
}

/** T before the first bundle: the given A2 records, plus the first bundle's A2 records whose check value was confirmed out of band. */
function bootstrapTrust(bootstrap: Bootstrap, first: Uint8Array, version: number): Result<TrustedRoot[]> {
  const trusted = new Map<number, TrustedRoot>();
  for (const [i, bytes] of bootstrap.rootRecords.entries()) {
    const record = rootKeyRecord.decode(bytes);
    if (!record.ok) return { ok: false, error: { ...record.error, field: `rootsFile[${i}].${record.error.field ?? ''}` } };
    trusted.set(record.value.rootKeyIndex, { rootKeyIndex: record.value.rootKeyIndex, publicKey: record.value.publicKey });
  }
  if (bootstrap.checkValues.length > 0) {
    const bundle = decodeBundle(first);
    if (!bundle.ok) return bundle;
    const wanted = new Set(bootstrap.checkValues.map(toHex));
    for (const record of bundle.value.rootKeys) {
      if (wanted.delete(toHex(record.checkValue))) trusted.set(record.rootKeyIndex, { rootKeyIndex: record.rootKeyIndex, publicKey: record.publicKey });
    }
    if (wanted.size > 0) {
      return err(Code.ROOT_UNTRUSTED, `no root key of version ${version} has the check value ${[...wanted][0]}`, { field: 'rootCheck', details: { unmatched: [...wanted] } });
    }
  }
  return ok([...trusted.values()]);
}

/** POST /acknowledgements: the installed version and its body SM3; the server compares it with what it published. */
async function acknowledge(endpoint: ApiEndpoint, manifest: ManifestRecord): Promise<Result<void>> {
  const answer = await callJson(endpoint, 'api/v1/acknowledgements', [201], {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version: manifest.version, bodySm3: toHex(manifest.bodyDigest) }),
  });
  if (!answer.ok) return answer;
  const matches = (answer.value as { acknowledgement?: { matches?: unknown } }).acknowledgement?.matches;
  if (matches === true) return ok(undefined);
  return err('CLIENT_ACKNOWLEDGEMENT_MISMATCH', `the server recorded the acknowledgement of version ${manifest.version} as an alarm`, { details: { version: manifest.version } });
}

/** The alarm an installed bundle raises at `now`: expired, or within `warnSeconds` of its expiry. */
export function staleness(manifest: ManifestRecord, now: Date, warnSeconds: number): TqError | undefined {
  const left = manifest.expires - Math.floor(now.getTime() / 1000);
  const details = { version: manifest.version, expires: new Date(manifest.expires * 1000).toISOString(), now: now.toISOString() };
  if (left <= 0) return { code: 'CLIENT_BUNDLE_EXPIRED', message: `installed version ${manifest.version} expired at ${details.expires} and no newer bundle was accepted`, details };
  if (left <= warnSeconds) return { code: 'CLIENT_BUNDLE_STALE', message: `installed version ${manifest.version} expires at ${details.expires}, within ${Math.round(warnSeconds / 3600)} h, and the server offers no newer one`, details };
  return undefined;
}
