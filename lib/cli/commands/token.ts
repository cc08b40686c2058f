import type { CommandGroup } from '../command';

const load = (name: 'create' | 'list' | 'revoke') => () => import('./tokenCommands').then((m) => ({ default: m[name] }));

export const token: CommandGroup = {
  name: 'token',
  summary: 'API tokens of machine clients (acquirers’ TMS, issuers): created once, shown once, stored as a hash',
  commands: [
    { name: 'create', summary: 'create a token for an institution; the secret is shown once', load: load('create') },
    { name: 'list', summary: 'tokens with scope, expiry, revocation and last use (never the secret)', load: load('list') },
    { name: 'revoke', summary: 'revoke a token (audited; every API process refuses it within a second)', load: load('revoke') },
  ],
};
