import type { CommandGroup } from '../../command';

export const cert: CommandGroup = {
  name: 'cert',
  summary: 'issuer certificates (TQ-CERT-1 §1, 106 bytes)',
  commands: [
    { name: 'decode', summary: 'decode a certificate into its fields', load: () => import('./decode') },
    { name: 'verify', summary: 'verify structure, root signature and expiry', load: () => import('./verify') },
    { name: 'list', summary: 'issued certificates (the CA database)', load: () => import('../certificateCommands').then((m) => ({ default: m.list })) },
    { name: 'show', summary: 'one issued certificate', load: () => import('../certificateCommands').then((m) => ({ default: m.show })) },
    { name: 'numbers', summary: 'certificate numbers: issued, failed (with signed bytes), reserved', load: () => import('../certificateCommands').then((m) => ({ default: m.numbers })) },
    { name: 'revoke', summary: 'revoke a certificate with a profile reason', load: () => import('../certificateCommands').then((m) => ({ default: m.revoke })) },
  ],
};
