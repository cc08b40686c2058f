import type { CommandGroup } from '../command';

const load = (name: 'modulePath' | 'status' | 'keys' | 'init' | 'activate') => () => import('./hsmCommands').then((m) => ({ default: m[name] }));

export const hsm: CommandGroup = {
  name: 'hsm',
  summary: 'the HSM: software-token module, status and canary, keys, token set-up, quorum activation',
  commands: [
    { name: 'module-path', summary: 'absolute path of the built SM2 software-token module', load: load('modulePath') },
    { name: 'status', summary: 'module, token, mechanisms against the profile, canary signature', load: load('status') },
    { name: 'keys', summary: 'keys on the token: labels, IDs, algorithms, public keys', load: load('keys') },
    { name: 'init', summary: 'create the embedded software token (idempotent); under TQCA_HSM_QUORUM split its PIN among --officers', load: load('init') },
    { name: 'activate', summary: 'under TQCA_HSM_QUORUM: K officers enter their shares; checks them and the canary, then locks', load: load('activate') },
  ],
};
