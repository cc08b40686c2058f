import type { CommandGroup } from '../../command';

export const qr: CommandGroup = {
  name: 'qr',
  summary: 'QR codes (TQ-CERT-1 §7, 226 bytes)',
  commands: [
    { name: 'decode', summary: 'decode a QR code into its fields', load: () => import('./decode') },
    { name: 'verify', summary: 'verify a QR code as a terminal does (certificate, signatures, time)', load: () => import('./verify') },
  ],
};
