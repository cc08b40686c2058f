/** Types of fuzz.mjs (a plain ES module so that `npm run fuzz:softtoken` needs no TypeScript loader). */
export interface FuzzRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}
export function fuzzSoftToken(options?: { rounds?: number; mutations?: number; seed?: number }): FuzzRun;
