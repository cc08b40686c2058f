// `npm run db:migrate [-- --create NAME]`: the only entry point to the migration engine.
import { relative } from 'node:path';
import { openDatabase } from './client';
import { createMigration } from './migrations';

const USAGE = 'usage: npm run db:migrate [-- --create <snake_case_name> [--draft]]';

export async function runMigrateCommand(args: string[]): Promise<number> {
  const create = args.indexOf('--create');
  const draft = args.includes('--draft');
  const known = new Set(['--create', '--draft']);
  const unknown = args.filter((a, i) => !known.has(a) && (create < 0 || i !== create + 1));
  if (unknown.length > 0 || (create >= 0 && !args[create + 1]) || (draft && create < 0)) {
    console.error(USAGE);
    return 2;
  }
  try {
    if (create >= 0) {
      const folder = await createMigration(args[create + 1], { draft });
      console.log(folder ? `created ${relative(process.cwd(), folder)}/migration.sql` : 'schema.prisma matches the migrations: nothing to create (use --draft for an empty migration)');
      return 0;
    }
    const db = await openDatabase();
    const applied = db.appliedMigrations;
    console.log(`${db.engine} ${db.location}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    await db.close();
    return 0;
  } catch (e) {
    console.error(`db:migrate failed: ${(e as Error).message}`);
    return 1;
  }
}
