// Gapless increasing allocations (certificate numbers, institution codes). The upsert takes the
// counter row's lock until the transaction ends, so concurrent allocators queue, and a rolled-back
// transaction gives its value back: committed values have no gaps.
import type { Tx } from './client';

/** The next value of counter `name` (1 for a new counter), inside the caller's transaction. */
export async function nextCounterValue(tx: Tx, name: string): Promise<bigint> {
  const [row] = await tx.$queryRaw<{ value: bigint }[]>`
    INSERT INTO counter (name, value, updated_at) VALUES (${name}, 1, now())
    ON CONFLICT (name) DO UPDATE SET value = counter.value + 1, updated_at = now()
    RETURNING value`;
  return BigInt(row.value);
}
