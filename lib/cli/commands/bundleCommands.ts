/**
 * `tqca bundle …`: the §12 codec as a TMS runs it. Pure: no database, no HSM. `--root` takes the
 * trusted root keys as X‖Y; the index each is trusted under is the one its A2 in the bundle (or
 * the --previous bundle) carries, which the manifest signature by that key vouches for.
 */
import { equal, uintToBytes } from '../../bytes';
import { writeFileAtomically } from '../../clients/files';
import { applyDelta, decodeBundle, makeDelta, MAX_BUNDLE_LENGTH, MAX_DELTA_LENGTH, publicKeyOf, verifyBundle, type Bundle, type ManifestRecord, type TrustedRoot } from '../../codec';
import type { Sm2PublicKey } from '../../crypto/sm2';
import { ok, type Result } from '../../errors';
import { defineCommand, invalid, positional, repeatedValue, requiredValue, valid, value, type JsonObject } from '../command';
import { cliError } from '../errorCodes';
import { atOption, bytesInput, publicKeyInput, uint32Input } from '../inputs';
import { hexByte, keyView, signatureView, unixTime } from '../views';
import { recordView } from './record/view';

const rootOption = repeatedValue('<X‖Y hex>', 'a trusted root public key, 64 bytes X‖Y (repeat for each trusted root)', publicKeyInput('root'), true);
const bundleArgument = positional('<bundle>', 'the bundle: hex, @path or -', bytesInput('bundle', MAX_BUNDLE_LENGTH));
const PREVIOUS = ['<bundle>', 'the last accepted bundle: hex, @path or -', bytesInput('previous', MAX_BUNDLE_LENGTH)] as const;

/** T for verifyBundle: each given key under every index an A2 of these bundles carries it with. */
function trustedRoots(keys: readonly Sm2PublicKey[], ...bundles: (Bundle | undefined)[]): TrustedRoot[] {
  const byIndex = new Map<number, TrustedRoot>();
  for (const b of bundles) {
    for (const record of b?.rootKeys ?? []) {
      const key = keys.find((k) => equal(k.bytes, record.publicKey.bytes));
      if (key && !byIndex.has(record.rootKeyIndex)) byIndex.set(record.rootKeyIndex, { rootKeyIndex: record.rootKeyIndex, publicKey: key });
    }
  }
  return [...byIndex.values()];
}

const manifestView = (m: ManifestRecord): JsonObject => ({
  tag: 'a5',
  rootKeyIndex: hexByte(m.rootKeyIndex),
  clearingCenterId: uintToBytes(m.clearingCenterId, 4),
  version: m.version,
  publicationTime: unixTime(m.publicationTime),
  expires: unixTime(m.expires),
  a2Count: m.a2Count,
  a3Count: m.a3Count,
  revocationSequenceNumber: m.revocationSequenceNumber,
  bodyDigest: m.bodyDigest,
  rootSignature: signatureView(m.rootSignature),
});

const bundleView = (b: Bundle): JsonObject => ({
  length: b.bytes.length,
  manifest: manifestView(b.manifest),
  rootKeys: b.rootKeys.map((record) => recordView({ kind: 'rootKey', record }, 0xa2)),
  certificates: b.certificates.map((record) => recordView({ kind: 'certificate', record }, 0xa3)),
  revocationList: recordView({ kind: 'revocationList', record: b.revocationList }, 0xa4),
});

const trustedView = (trusted: readonly TrustedRoot[]): JsonObject[] =>
  trusted.map((r) => ({ rootKeyIndex: hexByte(r.rootKeyIndex), publicKey: keyView(publicKeyOf(r.publicKey)) }));

/** Decodes --previous; its errors are named `previous.…`. */
function decodePrevious(bytes: Uint8Array | undefined): Result<Bundle | undefined> {
  if (bytes === undefined) return ok(undefined);
  const decoded = decodeBundle(bytes);
  return decoded.ok ? decoded : { ok: false, error: { ...decoded.error, field: `previous.${decoded.error.field}` } };
}

interface Verification {
  readonly roots: readonly Sm2PublicKey[];
  readonly previous?: Uint8Array;
  readonly centerId?: number;
  readonly at: Date;
}

function verifyFull(bytes: Uint8Array, v: Verification) {
  const previous = decodePrevious(v.previous);
  if (!previous.ok) return previous;
  const decoded = decodeBundle(bytes);
  const trusted = trustedRoots(v.roots, decoded.ok ? decoded.value : undefined, previous.value);
  return verifyBundle({ bundle: bytes, trustedRoots: trusted, previous: previous.value, centerId: v.centerId, now: v.at });
}

export const decode = defineCommand({
  description: `Decodes a bundle (manifest A5 ‖ A2… ‖ A3… ‖ A4) and checks its structure (§12.2 check 1:
counts, orders, nothing after the A4). Signatures, SM3 and times are not checked: use 'bundle verify'.`,
  options: {},
  positionals: { bundle: bundleArgument },
  async run({ positionals }) {
    const decoded = decodeBundle(positionals.bundle);
    return decoded.ok ? valid({ bundle: bundleView(decoded.value) }) : invalid(decoded.error);
  },
});

export const verify = defineCommand({
  description: `Runs the seven client checks of §12.2 in order: structure; the signing root is trusted, listed and
signed the manifest; every A2 is the manifest's (and --center's) clearing center; SM3 of the body; version after
--previous's (or the same bytes), published by --at + 300 s, not expired, expiry within the A4's next update;
A2 check values; each A3 (root listed, both signatures, certificate valid at publication, number never rebound);
the A4 (signature, sequence = manifest's and not going back, no listed certificate revoked). Errors name the
record and field (a3[4].certificate.expiry) and the offset in the bundle. trustedRoots in the answer is the new
trusted set: a root announced in a bundle signed by a trusted root becomes trusted.`,
  options: {
    root: rootOption,
    previous: value(...PREVIOUS),
    center: value('<8 hex>', 'the clearing-center id the client is configured for', uint32Input('center')),
    at: atOption('the instant to verify at'),
  },
  positionals: { bundle: bundleArgument },
  async run({ options, positionals }, context) {
    const at = options.at ?? context.now;
    const verified = verifyFull(positionals.bundle, { roots: options.root, previous: options.previous, centerId: options.center, at });
    if (!verified.ok) return invalid(verified.error, { at });
    return valid({ at, bundle: bundleView(verified.value.bundle), trustedRoots: trustedView(verified.value.trustedRoots) });
  },
});

export const apply = defineCommand({
  description: `Rebuilds the full bundle of the newer version from --previous and a delta (§12.3: base version,
removed numbers present, added ones absent, SM3 of the rebuilt body), verifies it as a full bundle (as
'bundle verify' does, against --previous), and only then writes it to --out: through a temporary file in the
same directory, fsynced and renamed, so --out is either the old file or the complete verified bundle.`,
  options: {
    root: rootOption,
    previous: requiredValue(...PREVIOUS),
    at: atOption('the instant to verify at'),
    out: requiredValue('<file>', 'where to write the verified full bundle (binary)', (text) =>
      text.length > 0 ? ok(text) : cliError('USAGE', '--out needs a file name', { field: 'out' }),
    ),
  },
  positionals: { delta: positional('<delta>', 'the delta: hex, @path or -', bytesInput('delta', MAX_DELTA_LENGTH)) },
  async run({ options, positionals }, context) {
    const at = options.at ?? context.now;
    const { previous } = options;
    const rebuilt = applyDelta(previous, positionals.delta);
    if (!rebuilt.ok) return invalid(rebuilt.error, { at });
    const verified = verifyFull(rebuilt.value, { roots: options.root, previous, at });
    if (!verified.ok) return invalid(verified.error, { at });
    const written = await writeAtomically(options.out, rebuilt.value);
    if (!written.ok) return invalid(written.error, { at });
    const { bundle } = verified.value;
    return valid({ at, out: options.out, version: bundle.manifest.version, length: bundle.bytes.length, trustedRoots: trustedView(verified.value.trustedRoots) });
  },
});

export const delta = defineCommand({
  description: `Makes the canonical delta from the --from bundle to a newer one (§12.3): every A3 not byte-identical
in both is removed and added. Both bundles are decoded, not verified.`,
  options: { from: requiredValue('<bundle>', 'the older bundle: hex, @path or -', bytesInput('from', MAX_BUNDLE_LENGTH)) },
  positionals: { bundle: positional('<bundle>', 'the newer bundle: hex, @path or -', bytesInput('bundle', MAX_BUNDLE_LENGTH)) },
  async run({ options, positionals }) {
    const made = makeDelta(options.from, positionals.bundle);
    return made.ok ? valid({ delta: made.value, length: made.value.length }) : invalid(made.error);
  },
});

/** Temporary file beside the target, fsync, rename, fsync the directory: never a partial --out. */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<Result<string>> {
  try {
    await writeFileAtomically(path, bytes);
    return ok(path);
  } catch (thrown) {
    const errno = (thrown as NodeJS.ErrnoException).code ?? 'EIO';
    return cliError('OUTPUT_UNWRITABLE', `cannot write ${path} (${errno})`, { field: 'out', details: { path, errno } });
  }
}
