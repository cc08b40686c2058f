import type { CommandGroup } from '../command';

const load = (name: 'decode' | 'verify' | 'apply' | 'delta') => () => import('./bundleCommands').then((m) => ({ default: m[name] }));

export const bundle: CommandGroup = {
  name: 'bundle',
  summary: 'publication bundles and deltas, as a TMS checks them (TQ-CERT-1 §12)',
  commands: [
    { name: 'decode', summary: 'decode a bundle into its manifest and records', load: load('decode') },
    { name: 'verify', summary: 'run the client checks of §12.2 on a full bundle', load: load('verify') },
    { name: 'apply', summary: 'rebuild the newer bundle from a delta, verify it, write it', load: load('apply') },
    { name: 'delta', summary: 'make the delta (§12.3) from an older bundle to a newer one', load: load('delta') },
  ],
};
