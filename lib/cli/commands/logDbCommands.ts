/**
 * `tqca log …` against the console's database and HSM (the other log commands are offline):
 * the audit-key ceremony, checkpoints, the auditor's export and the live check. Each is one
 * service call as the authenticated operator.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { approveAuditKey, exportLog, findInstitution, listWitnessKeys, reconcileWithLog, getAuditKey, registerWitnessKey, requestAuditKey, signLogCheckpoint, verifyLiveLog, type InstitutionKind, type StoredCheckpoint } from '../../ca';
import { toHex } from '../../bytes';
import { ok } from '../../errors';
import { defineCommand, flag, invalid, positional, requiredValue, valid, value, type JsonObject } from '../command';
import { cliError } from '../errorCodes';
import { fixedBytesInput } from '../inputs';
import { answer, asOperator, choiceInput, details, idPositional, listing, READ_ONLY } from './caSession';
import { asDatabaseOperator } from './databaseSession';

/** Free text, checked by the service (the origin) or the file system (the path). */
const text = (t: string) => ok(t);

const checkpointView = (c: StoredCheckpoint) => ({ size: c.size, root: toHex(c.root), note: c.note });

export const auditKeyRequest = defineCommand({
  description: `Requests the log's audit key (first officer). A second officer's 'tqca log audit-key-approve'
generates it in the HSM; its public key, check value and vkey are then published by 'tqca log audit-key'.`,
  options: { origin: requiredValue('<origin>', 'the log origin the key signs checkpoints under, e.g. tqca.example.cn/audit', text) },
  positionals: {},
  run: ({ options }) => asOperator(async (ca, operator) => answer(await requestAuditKey(ca, operator, options.origin), 'ceremony', (c) => details({ ...c }))),
});

export const auditKeyApprove = defineCommand({
  description: 'Approves the audit-key ceremony (an officer other than the requester): the HSM generates the key.',
  options: {},
  positionals: { ceremony: idPositional('<ceremony>', 'audit-key ceremony id') },
  run: ({ positionals }) => asOperator(async (ca, operator) => answer(await approveAuditKey(ca, operator, positionals.ceremony), 'auditKey', (k) => details({ ...k })), { signs: true }),
});

export const auditKey = defineCommand({
  description: 'Prints the published audit key: origin, public key, check value (key ID) and vkey.',
  options: {},
  positionals: {},
  run: () =>
    asOperator(async (ca) => {
      const key = await getAuditKey(ca);
      return key ? { ...valid({ auditKey: key as unknown as JsonObject }), text: details({ ...key }) } : valid({ auditKey: null });
    }, READ_ONLY),
});

export const checkpoint = defineCommand({
  description: 'Signs a checkpoint of the log now with the audit key (unless the last one covers every event); audited.',
  options: {},
  positionals: {},
  run: () =>
    asOperator(async (ca, operator) => {
      const signed = await signLogCheckpoint(ca, operator, 'operator');
      return signed.ok ? { ...valid({ checkpoint: checkpointView(signed.value) }), text: signed.value.note } : invalid(signed.error);
    }, { signs: true }),
});

export const exportCommand = defineCommand({
  description: `Exports the log for an auditor (AUDITOR or OFFICER): a checkpoint is signed for the export, then the
events stream from the database with every stored checkpoint in place into --out (written beside it, then
renamed). Verify the file with 'tqca log verify --audit-key <X‖Y hex>'. Audited as log.exported.`,
  options: {
    out: requiredValue('<file>', 'where to write the export', text),
    format: value('<format>', 'jsonl (default, verifiable) or csv (for reading)', choiceInput('format', ['jsonl', 'csv'] as const)),
    certificates: flag('CSV only: only the certificate events'),
  },
  positionals: {},
  run: ({ options }) =>
    asOperator(async (ca, operator) => {
      const format = options.format ?? 'jsonl';
      const exported = await exportLog(ca, operator, { format, certificatesOnly: options.certificates });
      if (!exported.ok) return invalid(exported.error);
      const temporary = join(dirname(options.out), `.${basename(options.out)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        const out = createWriteStream(temporary, { flags: 'wx', mode: 0o600 });
        for await (const line of exported.value.lines) if (!out.write(line)) await once(out, 'drain');
        out.end();
        await once(out, 'finish');
        await rename(temporary, options.out);
      } catch (thrown) {
        await unlink(temporary).catch(() => undefined);
        const cause = thrown instanceof Error ? thrown.message : String(thrown);
        return invalid(cliError('OUTPUT_UNWRITABLE', `cannot write ${options.out}: ${cause}`, { field: 'out', details: { path: options.out } }).error);
      }
      return valid({ out: options.out, format, checkpoint: checkpointView(exported.value.checkpoint) });
    }, { signs: true }),
});

/** `tqca log verify --live`: the stored log now, as the signed-in operator. */
export const checkStoredLog = () =>
  asOperator(async (ca) => {
    const report = await verifyLiveLog(ca.prisma);
    if (!report.ok) return invalid(report.error);
    // The verified state is what a LogWatch continues from, not a finding.
    const { events, checkpointSize, root } = report.value;
    return { ...valid({ live: { events, checkpointSize, root } }), text: details({ events, checkpointSize, root }) };
  }, READ_ONLY);

export const live = defineCommand({
  description: `The older name of 'tqca log verify --live' (the same check): chain, leaves and tree, and that
the stored log extends every signed checkpoint. Exit 1 with AUDIT_LOG_TAMPERED when it does not.`,
  options: {},
  positionals: {},
  run: checkStoredLog,
});

export const reconcile = defineCommand({
  description: `Replays the certificate events of the log and compares them with the certificate table (AUDITOR, ADMIN).
Exit 1 with STATE_DISAGREES_WITH_LOG listing each certificate whose state the log does not explain.`,
  options: {},
  positionals: {},
  run: () =>
    asOperator(async (ca, operator) => {
      const r = await reconcileWithLog(ca, operator);
      if (!r.ok) return invalid(r.error);
      const { checked, mismatches } = r.value;
      if (mismatches.length === 0) return valid({ checked, mismatches: [] });
      const error = { code: 'STATE_DISAGREES_WITH_LOG' as const, message: `${mismatches.length} object(s) disagree with the log`, details: { mismatches: mismatches as unknown as JsonObject[] } };
      return invalid(error, { checked });
    }, READ_ONLY),
});

export const witnessRegister = defineCommand({
  description: `Registers an auditor's witness key (ADMIN): the cosignature vkey the witness printed
('tqca log witness-keygen'), for the institution whose WITNESS tokens ('tqca token create witness --kind …')
post its cosignatures. Audited as log.witnessKeyRegistered; a key is registered once and never changed.`,
  options: {
    kind: requiredValue('<kind>', 'the institution’s kind (issuer | acquirer | platform)', choiceInput('kind', ['issuer', 'acquirer', 'platform'] as const)),
    code: requiredValue('<code>', 'the institution’s 4-byte code, 8 hex digits', fixedBytesInput('code', 4)),
  },
  positionals: { vkey: positional('<vkey>', 'the witness’s cosignature vkey', text) },
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) => {
      const institution = await findInstitution(ctx, { kind: options.kind.toUpperCase() as InstitutionKind, code: options.code });
      if (!institution.ok) return invalid(institution.error);
      return answer(await registerWitnessKey(ctx, operator, { institutionId: institution.value.id, vkey: positionals.vkey }), 'witnessKey', (k) => details({ ...k }));
    }),
});

export const witnessKeys = defineCommand({
  description: 'Lists the registered witness keys: id, name, key ID, institution, vkey.',
  options: {},
  positionals: {},
  run: () =>
    asDatabaseOperator(
      async (ctx) =>
        listing(await listWitnessKeys(ctx), 'witnessKeys', [
          ['id', (k) => String(k.id)],
          ['name', (k) => k.name],
          ['keyId', (k) => k.keyId],
          ['institution', (k) => String(k.institutionId)],
          ['vkey', (k) => k.vkey],
        ]),
      READ_ONLY,
    ),
});
