// The part of fs-ext (flock(2) for Node; it ships no types) that lib/db uses.
declare module 'fs-ext' {
  const fsExt: {
    /** flock(2) on `fd`: 'ex'/'sh' block, 'exnb'/'shnb' throw EAGAIN when held elsewhere, 'un' unlocks. */
    flockSync(fd: number, flags: 'ex' | 'exnb' | 'sh' | 'shnb' | 'un'): void;
  };
  export default fsExt;
}
