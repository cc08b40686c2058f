/**
 * `tqca tms pull|status`: the reference TMS client (lib/clients/tms) on the command line. Exit 0:
 * the newest version is installed (just now or before); 1: the server's bundle was refused or the
 * server could not be asked or the acknowledgement failed — the last good bundle stays installed;
 * 2: usage; 3: alarm — the installed bundle is past or near its expiry (whatever else happened).
 */
import { uintToBytes } from '../../bytes';
import { DEFAULT_WARN_SECONDS, pull, staleness, type PullReport } from '../../clients/tms/pull';
import { readInstalled, type Installed } from '../../clients/tms/state';
import { ROOT_KEY_RECORD_LENGTH } from '../../codec';
import { ok, type Result, type TqError } from '../../errors';
import { defineCommand, errorJson, repeatedValue, requiredValue, value, type ArgumentParser, type JsonObject, type Outcome } from '../command';
import { apiEndpointOf, connectionOptions } from '../apiConnection';
import { cliError } from '../errorCodes';
import { atOption, bytesInput, fixedBytesInput, uint32Input } from '../inputs';
import { hexByte, unixTime } from '../views';
import { details, table } from './caSession';

/** Room for every root index of both ranges. */
const MAX_ROOT_RECORDS = 254;

/** A file of A2 records, binary or hex text: a whole number of 109-byte records. */
const rootRecordsInput: ArgumentParser<Uint8Array[]> = async (path, context) => {
  const bytes = await bytesInput('rootsFile', MAX_ROOT_RECORDS * ROOT_KEY_RECORD_LENGTH)(`@${path}`, context);
  if (!bytes.ok) return bytes;
  if (bytes.value.length % ROOT_KEY_RECORD_LENGTH !== 0) {
    return cliError('INPUT_LENGTH', `expected whole ${ROOT_KEY_RECORD_LENGTH}-byte A2 records, got ${bytes.value.length} bytes`, { field: 'rootsFile' });
  }
  return ok(Array.from({ length: bytes.value.length / ROOT_KEY_RECORD_LENGTH }, (_, i) => bytes.value.slice(i * ROOT_KEY_RECORD_LENGTH, (i + 1) * ROOT_KEY_RECORD_LENGTH)));
};

const hoursInput: ArgumentParser<number> = (text) =>
  /^\d{1,5}$/.test(text) ? ok(Number(text) * 3600) : cliError('USAGE', '--warn-hours must be a whole number of hours', { field: 'warnHours' });

const stateOption = requiredValue('<dir>', 'the TMS state directory (created owner-only; holds the installed bundle and the trusted roots)', (text) =>
  text.length > 0 ? ok(text) : cliError('USAGE', '--state needs a directory', { field: 'state' }),
);
const warnOption = value('<hours>', `alarm when the installed bundle expires within this many hours (default ${DEFAULT_WARN_SECONDS / 3600})`, hoursInput);

const installedView = (i: Installed | null, full = false): JsonObject | null => {
  if (!i) return null;
  const { manifest, certificates, revocationList } = i.bundle;
  return {
    version: manifest.version,
    clearingCenterId: uintToBytes(manifest.clearingCenterId, 4),
    signedBy: hexByte(manifest.rootKeyIndex),
    publishedAt: unixTime(manifest.publicationTime),
    expires: unixTime(manifest.expires),
    rootKeys: i.bundle.rootKeys.map((r) => hexByte(r.rootKeyIndex)),
    certificates: manifest.a3Count,
    revocationSequence: revocationList.sequenceNumber,
    revoked: revocationList.entries.length,
    bodySm3: manifest.bodyDigest,
    trustedRoots: i.trustedRoots.map((r) => hexByte(r.rootKeyIndex)),
    installedAt: i.installedAt,
    acknowledged: i.acknowledged,
    ...(full
      ? {
          certificateNumbers: certificates.map((c) => uintToBytes(c.certificateNumber, 4)),
          revokedNumbers: revocationList.entries.map((e) => uintToBytes(e.certificateNumber, 4)),
        }
      : {}),
  };
};

const installedText = (i: Installed | null) => {
  const view = installedView(i);
  return view ? details({ ...view, bodySm3: Buffer.from(i!.bundle.manifest.bodyDigest).toString('hex') }) : 'installed: (nothing)\n';
};

const problemLine = (label: string, e: TqError | undefined) => (e ? `${label}: ${e.code}: ${e.message}\n` : '');

/** Exit 3 on an alarm, 1 on a refusal or a failed acknowledgement, else 0. */
function outcomeOf(body: JsonObject, text: string, alarm: TqError | undefined, failure: TqError | undefined): Outcome {
  const exitCode = alarm ? 3 : failure ? 1 : 0;
  return { exitCode, json: { valid: exitCode === 0, ...body }, text };
}

export const pullCommand = defineCommand({
  description: `Polls GET /api/v1/bundles/latest with the ETag of the last answer (If-None-Match). On a newer
version it fetches the delta from the installed version (falling back to the full bundle on any failure),
verifies the result as a full bundle with the client checks of TQ-CERT-1 §12.2 against the installed one,
installs it (temporary file, fsync, rename; the state directory is owner-only) and acknowledges it (POST
/api/v1/acknowledgements with the manifest's body SM3). A version lower than the installed one, a bundle
that fails any check, or one past its expiry is refused and the installed bundle kept. When a manifest is
signed by a root not yet trusted (a rotation), every version in between is fetched and verified in turn.
The first pull needs the root keys' check values (--root-check, compared out of band) or their A2 records
(--roots-file); later pulls trust what the installed bundles established.
Exit: 0 current or installed; 1 refused or failed (the last good bundle stays); 2 usage; 3 alarm: the
installed bundle is past or within --warn-hours of its expiry (the center stopped publishing).`,
  options: {
    ...connectionOptions('a file holding the acquirer API token (tqca token create)'),
    state: stateOption,
    rootCheck: repeatedValue('<64 hex>', 'a root key check value confirmed out of band (A2 bytes 77–108), for the first pull: one for each key in use, the current signer’s at least', fixedBytesInput('rootCheck', 32), false),
    rootsFile: value('<file>', 'A2 records (binary or hex) obtained out of band, for the first pull', rootRecordsInput),
    center: value('<8 hex>', 'the clearing-center id the TMS is configured for', uint32Input('center')),
    warnHours: warnOption,
    at: atOption('the client’s clock: the instant to verify at'),
  },
  positionals: {},
  async run({ options }, context) {
    const now = options.at ?? context.now;
    const endpoint = apiEndpointOf(options);
    if (!endpoint.ok) return failure(endpoint.error);
    const report = await pull({
      endpoint: endpoint.value,
      stateDir: options.state,
      bootstrap: { checkValues: options.rootCheck, rootRecords: options.rootsFile ?? [] },
      centerId: options.center,
      now,
      warnSeconds: options.warnHours,
    });
    return pullOutcome(report, now);
  },
});

const failure = (error: TqError): Outcome => ({ exitCode: 1, json: { valid: false, error: errorJson(error) } });

function pullOutcome(r: PullReport, at: Date): Outcome {
  const body: JsonObject = {
    at,
    outcome: r.outcome,
    offered: r.offered,
    verified: r.verified.map((v) => ({ version: v.version, via: v.via, ...(v.deltaRefused ? { deltaRefused: errorJson(v.deltaRefused) } : {}) })),
    installed: installedView(r.installed),
    ...(r.error ? { error: errorJson(r.error) } : {}),
    ...(r.alarm ? { alarm: errorJson(r.alarm) } : {}),
    ...(r.acknowledgementError ? { acknowledgementError: errorJson(r.acknowledgementError) } : {}),
  };
  const steps = r.verified.length === 0 ? '' : table(r.verified, [['verified', (v) => v.version], ['via', (v) => v.via], ['delta refused', (v) => v.deltaRefused?.code]]);
  const text =
    `outcome: ${r.outcome}${r.offered === null ? '' : ` (server offers version ${r.offered})`}\n` +
    problemLine('refused', r.error) +
    problemLine('ALARM', r.alarm) +
    problemLine('not acknowledged', r.acknowledgementError) +
    steps +
    installedText(r.installed);
  return outcomeOf(body, text, r.alarm, r.error ?? r.acknowledgementError);
}

export const statusCommand = defineCommand({
  description: `Shows the bundle installed in a TMS state directory: version, signer, publication and expiry, counts,
the trusted root indexes, whether the server has the acknowledgement. With --json, also every certificate number
and every revoked number. Exit 3 when the bundle is past or within --warn-hours of its expiry.`,
  options: { state: stateOption, warnHours: warnOption, at: atOption('the instant to judge expiry at') },
  positionals: {},
  async run({ options }, context) {
    const now = options.at ?? context.now;
    const installed: Result<Installed | null> = await readInstalled(options.state);
    if (!installed.ok) return failure(installed.error);
    const alarm = installed.value ? staleness(installed.value.bundle.manifest, now, options.warnHours ?? DEFAULT_WARN_SECONDS) : undefined;
    const body: JsonObject = { at: now, installed: installedView(installed.value, true), ...(alarm ? { alarm: errorJson(alarm) } : {}) };
    return outcomeOf(body, problemLine('ALARM', alarm) + installedText(installed.value), alarm, undefined);
  },
});

export { pullCommand as pull, statusCommand as status };
