import type { CommandGroup } from '../command';

const load = (name: 'keygen' | 'request' | 'fetch' | 'renew') => () => import('./issuerCommands').then((m) => ({ default: m[name] }));

export const issuer: CommandGroup = {
  name: 'issuer',
  summary: 'the reference issuer client: keys, A1 requests, certificates and renewal over the API (no database)',
  commands: [
    { name: 'keygen', summary: 'make an SM2 key with even Y, in a file only its owner reads', load: load('keygen') },
    { name: 'request', summary: 'fetch a challenge, sign the A1 with the key, submit; prints the fingerprint', load: load('request') },
    { name: 'fetch', summary: 'wait for the certificate, verify it against the root key, write it', load: load('fetch') },
    { name: 'renew', summary: 'request a new certificate when the newest expires within --before days (idempotent)', load: load('renew') },
  ],
};
