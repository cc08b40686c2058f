import type { CommandGroup } from '../command';

const load = (name: 'challenge' | 'submit' | 'review' | 'approve' | 'issue' | 'retarget' | 'retargetApprove' | 'reject' | 'list' | 'show') => () =>
  import('./requestCommands').then((m) => ({ default: m[name] }));

export const request: CommandGroup = {
  name: 'request',
  summary: 'issuer certificate requests (A1, TQ-CERT-1 §8) and their dual-control issuance',
  commands: [
    { name: 'challenge', summary: 'issue a single-use challenge (24 h) to an issuer', load: load('challenge') },
    { name: 'submit', summary: 'submit an A1 record: every §8 check runs', load: load('submit') },
    { name: 'review', summary: 'confirm the key fingerprint read out of band', load: load('review') },
    { name: 'approve', summary: 'approve (not the reviewer) and issue the certificate', load: load('approve') },
    { name: 'issue', summary: 'issue an approved request again after a failed attempt', load: load('issue') },
    { name: 'retarget', summary: 'ask to move an approved request off a retired root key', load: load('retarget') },
    { name: 'retarget-approve', summary: 'approve a re-target (not its requester)', load: load('retargetApprove') },
    { name: 'reject', summary: 'reject a request that is not issued', load: load('reject') },
    { name: 'list', summary: 'requests, optionally by state or issuer', load: load('list') },
    { name: 'show', summary: 'one request with its review data', load: load('show') },
  ],
};
