/**
 * `tqca log …`: the offline side of the tamper-evident audit log (docs/log-format.md). Every
 * command works on files an auditor holds (exports, proofs, witness requests), never on the
 * console's database, and trusts only the keys given on its command line.
 */
import { access, constants } from 'node:fs/promises';
import { toHex } from '../../bytes';
import { ok, type Result } from '../../errors';
import { logError } from '../../log/errorCodes';
import { encodeBase64, parseVkey, type NoteKey } from '../../log/note';
import { checkInclusionProof, proveConsistencyRequest, proveInclusion } from '../../log/proof';
import { verifyExportFile } from '../../log/verifyFile';
import { exportLines, verifyConsistentExports, type CheckpointSummary, type ExportSummary, type VerifyOptions } from '../../log/verify';
import { createWitnessKey, directoryStateStore, loadWitnessKey, witnessCheckpoint } from '../../log/witness';
import { defineCommand, flag, invalid, optionalPositional, positional, repeatedValue, requiredValue, valid, value, type ArgumentParser, type JsonObject, type Outcome, type RunContext } from '../command';
import { usageError } from '../args';
import type { ApiEndpoint } from '../../clients/http';
import { fetchWitnessRequest, postCosignature } from '../../clients/witness';
import { apiEndpointOf, serverInput, tlsOptions, tokenFileInput } from '../apiConnection';
import { cliError } from '../errorCodes';
import { publicKeyInput } from '../inputs';

/** A file that exists and is readable; read later, streamed. */
const pathInput =
  (field: string): ArgumentParser<string> =>
  async (text) => {
    try {
      await access(text, constants.R_OK);
      return ok(text);
    } catch (thrown) {
      const errno = (thrown as NodeJS.ErrnoException).code ?? 'EIO';
      return cliError('INPUT_UNREADABLE', `cannot read ${text} (${errno})`, { field, details: { path: text, errno } });
    }
  };

/** The most a proof or witness request file may hold: a proof is a few kilobytes beside its entry. */
const TEXT_FILE_LIMIT = 1 << 20;

/** A small text file (proof, witness request) as strict UTF-8. */
async function readText(path: string, context: RunContext, field: string): Promise<Result<string>> {
  const bytes = await context.readFile(path, TEXT_FILE_LIMIT);
  if (!bytes.ok) return bytes;
  try {
    return ok(new TextDecoder('utf-8', { fatal: true }).decode(bytes.value));
  } catch {
    return cliError('INPUT_UNREADABLE', `${path} is not UTF-8 text`, { field });
  }
}

const countInput =
  (field: string, min: number): ArgumentParser<number> =>
  (text) => {
    const n = Number(text);
    return /^[0-9]+$/.test(text) && Number.isSafeInteger(n) && n >= min ? ok(n) : cliError('USAGE', `${field} is a whole number ≥ ${min}`, { field });
  };

const vkeyInput: ArgumentParser<NoteKey> = (text) => {
  const key = parseVkey(text, 'witness');
  if (key.ok && key.value.kind !== 'cosignature') return cliError('USAGE', 'a witness vkey is of type tqca/sm2-sm3-cosignature@v1', { field: 'witness' });
  return key;
};

const AUDIT_KEY = 'the audit key (SM2 public key, 64 bytes: hex, @path or -) the checkpoints must be signed with';
const trustOptions = {
  auditKey: requiredValue('<X‖Y hex>', AUDIT_KEY, publicKeyInput('auditKey')),
  witness: repeatedValue('<vkey>', 'a trusted witness (signed-note vkey); repeat for each', vkeyInput, false),
  quorum: value('<K>', 'cosignatures of distinct trusted witnesses a checkpoint needs (default 0)', countInput('quorum', 0)),
};

type TrustArgs = { readonly auditKey: VerifyOptions['auditKey']; readonly witness: readonly NoteKey[]; readonly quorum: number | undefined };

function trust(options: TrustArgs): Result<VerifyOptions> {
  const quorum = options.quorum ?? 0;
  if (quorum > options.witness.length) return logError('LOG_QUORUM', `a quorum of ${quorum} needs at least ${quorum} --witness keys`, { field: 'quorum' });
  return ok({ auditKey: options.auditKey, witnesses: options.witness, quorum });
}

const checkpointView = (c: CheckpointSummary | undefined): JsonObject | null =>
  c ? { size: c.size, root: encodeBase64(c.root), cosigners: c.cosigners } : null;

function summaryView(s: ExportSummary): JsonObject {
  return {
    origin: s.origin,
    entries: s.entries,
    lastHash: toHex(s.lastHash),
    root: encodeBase64(s.root),
    checkpoints: s.checkpoints,
    lastCheckpoint: checkpointView(s.lastCheckpoint),
    attested: s.attested,
    unattested: s.unattested,
    ...(s.unattested > 0 ? { warning: `entries ${s.attested + 1}…${s.entries} are unattested: no checkpoint meeting the quorum covers them` } : {}),
  };
}

/** A command line that does not fit: exit 2, as the parser answers. */
const usageOutcome = (message: string, field: string): Outcome => ({ ...invalid(usageError(message, { field })), exitCode: 2 });

const EXIT = 'Exit 0 valid, 1 invalid (the typed error names the first bad line, entry or checkpoint), 2 usage.';

export const verify = defineCommand({
  description: `Recomputes an export's audit chain and Merkle tree in one streaming pass, checks every
checkpoint's root when its size is reached, its audit-key signature and the cosignatures of the
given witnesses. Entries after the last checkpoint with a quorum are reported as unattested.
With --live instead of an export: checks the CA's stored log (chain, leaves, tree, every signed
checkpoint) as the signed-in operator; exit 1 with AUDIT_LOG_TAMPERED when it fails. ${EXIT}`,
  options: {
    ...trustOptions,
    auditKey: value('<X‖Y hex>', `${AUDIT_KEY} (required with an export)`, publicKeyInput('auditKey')),
    live: flag('check the stored log of the configured database instead of an export'),
  },
  positionals: { export: optionalPositional('<export>', 'the JSON Lines export file (not with --live)', pathInput('export')) },
  async run({ options, positionals }) {
    if (options.live) {
      if (positionals.export !== undefined) return usageOutcome('give either an export or --live, not both', 'export');
      return (await import('./logDbCommands')).checkStoredLog();
    }
    if (positionals.export === undefined) return usageOutcome('missing argument <export> (or --live)', 'export');
    if (options.auditKey === undefined) return usageOutcome('missing option --audit-key <X‖Y hex>', 'auditKey');
    const policy = trust({ ...options, auditKey: options.auditKey });
    if (!policy.ok) return invalid(policy.error);
    const r = await verifyExportFile(positionals.export, policy.value);
    return r.ok ? valid(summaryView(r.value)) : invalid(r.error);
  },
});

export const consistency = defineCommand({
  description: `Proves that <newer> extends <older>: both verify, and the newer tree has the older
export's root at each of its checkpoints and at its full size. A rewritten history fails here even
when its checkpoints carry valid audit-key signatures. ${EXIT}`,
  options: trustOptions,
  positionals: {
    older: positional('<older>', 'the earlier export', pathInput('older')),
    newer: positional('<newer>', 'the later export', pathInput('newer')),
  },
  async run({ options, positionals }) {
    const policy = trust(options);
    if (!policy.ok) return invalid(policy.error);
    const r = await verifyConsistentExports((o) => verifyExportFile(positionals.older, o), (o) => verifyExportFile(positionals.newer, o), policy.value);
    return r.ok ? valid({ consistent: true, older: summaryView(r.value.older), newer: summaryView(r.value.newer) }) : invalid(r.error, { consistent: false });
  },
});

export const prove = defineCommand({
  description: `Prints an inclusion proof (c2sp.org/tlog-proof@v1) for entry --seq against the export's
last checkpoint meeting the quorum; the extra line carries the entry's canonical bytes. The export is
verified first. ${EXIT}`,
  options: { ...trustOptions, seq: requiredValue('<N>', 'the entry (audit event seq, from 1)', countInput('seq', 1)) },
  positionals: { export: positional('<export>', 'the JSON Lines export file', pathInput('export')) },
  async run({ options, positionals }) {
    const policy = trust(options);
    if (!policy.ok) return invalid(policy.error);
    const proof = await proveInclusion(() => exportLines(positionals.export), options.seq, policy.value);
    return proof.ok ? { ...valid({ seq: options.seq, proof: proof.value }), text: proof.value } : invalid(proof.error);
  },
});

export const checkProof = defineCommand({
  description: `Verifies an inclusion proof offline: the checkpoint's audit signature and trusted
cosignatures (with --quorum), that the entry carried is entry index + 1, and the Merkle path. ${EXIT}`,
  options: trustOptions,
  positionals: { proof: positional('<proof>', 'a .tlog-proof file', pathInput('proof')) },
  async run({ options, positionals }, context) {
    const policy = trust(options);
    if (!policy.ok) return invalid(policy.error);
    const text = await readText(positionals.proof, context, 'proof');
    if (!text.ok) return invalid(text.error);
    const r = checkInclusionProof(text.value, policy.value.auditKey, policy.value.witnesses ?? [], policy.value.quorum);
    if (!r.ok) return invalid(r.error);
    const { checkpoint } = r.value.checkpoint;
    return valid({
      seq: r.value.seq,
      entry: r.value.entry,
      checkpoint: { origin: checkpoint.origin, size: checkpoint.size, root: encodeBase64(checkpoint.root) },
      cosigners: r.value.checkpoint.cosignatures.map((c) => c.key.name),
    });
  },
});

export const witnessRequest = defineCommand({
  description: `Prints a witness request: the export's last checkpoint meeting the quorum with a
consistency proof from size --old (the size the witness last cosigned; 0 for a new witness). The
console sends the same; this makes one from an export. ${EXIT}`,
  options: { ...trustOptions, old: requiredValue('<size>', 'the tree size the witness last cosigned', countInput('old', 0)) },
  positionals: { export: positional('<export>', 'the JSON Lines export file', pathInput('export')) },
  async run({ options, positionals }) {
    const policy = trust(options);
    if (!policy.ok) return invalid(policy.error);
    const request = await proveConsistencyRequest(() => exportLines(positionals.export), options.old, policy.value);
    return request.ok ? { ...valid({ request: request.value }), text: request.value } : invalid(request.error);
  },
});

export const witness = defineCommand({
  description: `Cosigns a checkpoint as a witness: checks the audit-key signature, that the request's
old size is the size this witness last cosigned (its --state), and the consistency proof from that
checkpoint; then adds a cosignature line (type 0xff tqca/sm2-sm3-cosignature@v1), stores the new
state atomically and prints the cosigned checkpoint. A fork or rollback is refused
(LOG_WITNESS_CONFLICT). With --server and --token-file instead of a request file: fetches the CA's
newest checkpoint and the proof from the state's size (GET /api/v1/log/checkpoint, /log/consistency,
with a WITNESS token), cosigns as above and posts the cosignature (POST /api/v1/log/cosignatures). ${EXIT}`,
  options: {
    key: requiredValue('<file>', 'the witness key file (tqca log witness-keygen)', pathInput('key')),
    state: requiredValue('<dir>', 'the directory holding the last cosigned checkpoint', (text) => ok(text)),
    auditKey: trustOptions.auditKey,
    server: value('<url>', 'the CA server, e.g. https://ca.example.cn (with --token-file; no request file)', serverInput),
    tokenFile: value('<file>', 'the file holding the WITNESS API token', tokenFileInput),
    ...tlsOptions,
  },
  positionals: { request: optionalPositional('<request>', 'the witness request (old size, proof, checkpoint); not with --server', pathInput('request')) },
  async run({ options, positionals }, context) {
    if ((options.server === undefined) !== (options.tokenFile === undefined)) return usageOutcome('--server and --token-file go together', 'server');
    if ((options.server === undefined) === (positionals.request === undefined)) return usageOutcome('give a witness request file, or --server and --token-file', 'request');
    const key = await loadWitnessKey(options.key);
    if (!key.ok) return invalid(key.error);
    const store = directoryStateStore(options.state);
    let server: ApiEndpoint | undefined;
    if (options.server !== undefined) {
      const endpoint = apiEndpointOf({ ...options, server: options.server, tokenFile: options.tokenFile! });
      if (!endpoint.ok) return invalid(endpoint.error);
      server = endpoint.value;
    }
    const request = server ? await fetchWitnessRequest(server, store) : await readText(positionals.request!, context, 'request');
    if (!request.ok) return invalid(request.error);
    const r = await witnessCheckpoint(request.value, options.auditKey, key.value, store, context.now);
    if (!r.ok) return invalid(r.error);
    const posted = server ? await postCosignature(server, r.value.note) : undefined;
    if (posted && !posted.ok) return invalid(posted.error);
    const body = { size: r.value.checkpoint.size, previousSize: r.value.previous?.size ?? 0, checkpoint: r.value.note, ...(posted?.ok ? { stored: posted.value.added } : {}) };
    return { ...valid(body), text: r.value.note };
  },
});

export const witnessKeygen = defineCommand({
  description: 'Makes a witness SM2 key file (mode 600, never overwriting) and prints its vkey, which verifiers pass as --witness.',
  options: {
    out: requiredValue('<file>', 'the key file to create', (text) => ok(text)),
    name: requiredValue('<name>', 'the witness key name, a schema-less URL such as auditor.example/w1', (text) => ok(text)),
  },
  positionals: {},
  async run({ options }) {
    const vkey = await createWitnessKey(options.out, options.name);
    return vkey.ok ? { ...valid({ vkey: vkey.value }), text: `${vkey.value}\n` } : invalid(vkey.error);
  },
});
