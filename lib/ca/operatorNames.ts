/**
 * Who did what, by name: the console shows the requester, reviewer and approver of ceremonies and
 * requests. Any signed-in operator may see names (not roles or status: those are the operators page's).
 */
import type { ServiceContext } from './context';

export interface OperatorName {
  readonly username: string;
  readonly displayName: string;
}

export async function operatorNames(ctx: ServiceContext, ids: readonly (number | null)[]): Promise<ReadonlyMap<number, OperatorName>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await ctx.prisma.operator.findMany({ where: { id: { in: wanted } }, select: { id: true, username: true, displayName: true } });
  return new Map(rows.map((r) => [r.id, { username: r.username, displayName: r.displayName }]));
}
