/**
 * For commands that need the CA database but not the HSM (`user`, `institution`): open the
 * configured database (DATABASE_URL, else the embedded PGlite; migrated on open), run, close.
 */
import { systemNow, type Operator, type ServiceContext } from '../../ca';
import { embeddedHolderGone, openDatabase } from '../../db/client';
import { explainFaultsWith } from '../faults';
import { invalid, type Outcome } from '../command';
import { signIn } from '../operatorLogin';

// A query that fails because the console serving the embedded database stopped is DB_HOLDER_GONE, not INTERNAL.
explainFaultsWith(embeddedHolderGone);

/** `readOnly`: a list or show, which creates no database on a fresh data directory (DB_NOT_FOUND). */
export interface SessionOptions {
  readonly readOnly?: boolean;
}

export async function onDatabase(action: (ctx: ServiceContext) => Promise<Outcome>, { readOnly = false }: SessionOptions = {}): Promise<Outcome> {
  const db = await openDatabase({ create: !readOnly });
  try {
    return await action({ prisma: db.prisma, now: systemNow });
  } finally {
    await db.close();
  }
}

/** Runs `action` as the operator who signs in (operatorLogin). */
export const asDatabaseOperator = (action: (ctx: ServiceContext, operator: Operator) => Promise<Outcome>, options: SessionOptions = {}): Promise<Outcome> =>
  onDatabase(async (ctx) => {
    const operator = await signIn(ctx);
    return operator.ok ? action(ctx, operator.value) : invalid(operator.error);
  }, options);
