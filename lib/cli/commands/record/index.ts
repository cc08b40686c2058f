import type { CommandGroup } from '../../command';

export const record: CommandGroup = {
  name: 'record',
  summary: 'request and distribution records A1–A4 (TQ-CERT-1 §8, §9)',
  commands: [{ name: 'decode', summary: 'decode an A1–A4 record, chosen by its first byte', load: () => import('./decode') }],
};
