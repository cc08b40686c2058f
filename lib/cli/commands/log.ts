import type { CommandGroup } from '../command';

type Name = 'verify' | 'consistency' | 'prove' | 'checkProof' | 'witnessRequest' | 'witness' | 'witnessKeygen';
const load = (name: Name) => () => import('./logCommands').then((m) => ({ default: m[name] }));
type DbName = 'auditKeyRequest' | 'auditKeyApprove' | 'auditKey' | 'checkpoint' | 'exportCommand' | 'live' | 'reconcile' | 'witnessRegister' | 'witnessKeys';
const loadDb = (name: DbName) => () => import('./logDbCommands').then((m) => ({ default: m[name] }));

export const log: CommandGroup = {
  name: 'log',
  summary: 'the tamper-evident audit log: export, checkpoints, live check; offline: verify exports, proofs, witness cosigning (docs/log-format.md)',
  commands: [
    { name: 'verify', summary: 'recompute an export’s chain and tree; check checkpoints and cosignatures; --live: the stored log', load: load('verify') },
    { name: 'consistency', summary: 'prove a newer export extends an older one', load: load('consistency') },
    { name: 'prove', summary: 'print an inclusion proof (tlog-proof) for one entry', load: load('prove') },
    { name: 'check-proof', summary: 'verify an inclusion proof offline', load: load('checkProof') },
    { name: 'witness-request', summary: 'make a witness request (consistency proof + checkpoint) from an export', load: load('witnessRequest') },
    { name: 'witness', summary: 'cosign a checkpoint consistent with the last one this witness saw', load: load('witness') },
    { name: 'witness-keygen', summary: 'make a witness SM2 key file and print its vkey', load: load('witnessKeygen') },
    { name: 'export', summary: 'export the stored log for auditors, with a fresh checkpoint (AUDITOR, ADMIN)', load: loadDb('exportCommand') },
    { name: 'checkpoint', summary: 'sign a checkpoint of the stored log now with the audit key', load: loadDb('checkpoint') },
    { name: 'verify-live', summary: 'the older name of tqca log verify --live', load: loadDb('live') },
    { name: 'reconcile', summary: 'compare the certificate table with what the log’s events say (AUDITOR, ADMIN)', load: loadDb('reconcile') },
    { name: 'audit-key', summary: 'print the published audit key and its check value', load: loadDb('auditKey') },
    { name: 'audit-key-request', summary: 'request the audit-key ceremony (first officer)', load: loadDb('auditKeyRequest') },
    { name: 'witness-register', summary: 'register an auditor’s witness key for an institution’s WITNESS tokens (ADMIN)', load: loadDb('witnessRegister') },
    { name: 'witness-keys', summary: 'list the registered witness keys', load: loadDb('witnessKeys') },
    { name: 'audit-key-approve', summary: 'approve the audit-key ceremony: the HSM generates the key (second officer)', load: loadDb('auditKeyApprove') },
  ],
};
