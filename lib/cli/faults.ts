/**
 * What a fault that is not a TqException stands for, when a module the command loaded can tell:
 * the database sessions register that a lost embedded-database holder explains the failed query
 * (DB_HOLDER_GONE). Offline commands load none of them, so they stay free of the database layer.
 */
import type { TqError } from '../errors';

const explainers: (() => TqError | undefined)[] = [];

export function explainFaultsWith(explain: () => TqError | undefined): void {
  if (!explainers.includes(explain)) explainers.push(explain);
}

export const explainedFault = (): TqError | undefined => explainers.map((explain) => explain()).find((e) => e !== undefined);
