// The transitions an officer may request on an existing root key, by the state each starts from.
// The root-keys page offers one button per row and the server action accepts exactly these:
// a further transition is one more row here (and its strings under caRootKeys.requestChange).
import type { requestRootKeyChange, RootKeyState } from '../lib/ca';

export const ROOT_KEY_TRANSITIONS = [
  { change: 'ACTIVATE', from: 'PENDING' },
  { change: 'RETIRE', from: 'ACTIVE' },
] as const satisfies readonly { change: Parameters<typeof requestRootKeyChange>[2]; from: RootKeyState }[];
