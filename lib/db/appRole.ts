// The PostgreSQL role the console server and the CLI run as in production: not the owner of the
// schema (which runs the migrations), so it cannot drop, alter or disable a trigger, and it may
// only INSERT and SELECT the log tables. Run by the owner after every migration (`tqca db
// grant-app-role`): a table a migration added gets its grants then. PGlite has one user and no
// such protection.
import { TqException } from '../errors';
import type { PrismaClient, Tx } from './client';

/** Written once and never changed: the application may only add rows and read them. */
export const LOG_TABLES = ['audit_event', 'audit_leaf', 'audit_node', 'audit_key', 'audit_checkpoint', 'audit_witness_key', 'audit_cosignature'] as const;
/** The head moves forward by one with every event (its trigger refuses anything else); never deleted. */
const HEAD_TABLE = 'audit_chain_head';
/** Read by the up-to-date check at every start; only the owner's migrations write it. */
const MIGRATIONS_TABLE = '_prisma_migrations';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface AppRoleGrants {
  readonly role: string;
  /** table → the privileges the role now holds on it */
  readonly tables: Readonly<Record<string, string>>;
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new TqException({ code: 'DB_APP_ROLE_REFUSED', message, field: 'role', details });
}

export function privilegesFor(table: string): string {
  if ((LOG_TABLES as readonly string[]).includes(table)) return 'SELECT, INSERT';
  if (table === HEAD_TABLE) return 'SELECT, UPDATE';
  if (table === MIGRATIONS_TABLE) return 'SELECT';
  return 'SELECT, INSERT, UPDATE, DELETE';
}

/**
 * Revokes everything `role` holds on the schema's tables and sequences and grants exactly what
 * the application needs. Refuses a role that could undo it: a superuser, the owner of a table,
 * or a member of the owner's role. `record` writes the audit event, in the same transaction.
 */
export async function grantAppRole(prisma: PrismaClient, role: string, record: (tx: Tx, grants: AppRoleGrants) => Promise<unknown>): Promise<AppRoleGrants> {
  if (!ROLE_NAME.test(role)) refuse(`role name ${JSON.stringify(role)} is not a plain lower-case PostgreSQL identifier`, { role });
  const [found] = await prisma.$queryRaw<{ rolsuper: boolean }[]>`SELECT rolsuper FROM pg_roles WHERE rolname = ${role}`;
  if (!found) refuse(`role ${role} does not exist: the DBA creates it (CREATE ROLE ${role} LOGIN PASSWORD …)`, { role });
  if (found.rolsuper) refuse(`role ${role} is a superuser: it could disable the log's triggers`, { role });
  const tables = await prisma.$queryRaw<{ name: string; owner: string }[]>`
    SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname`;
  const [member] = await prisma.$queryRaw<{ owner: string }[]>`
    SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND pg_has_role(${role}, c.relowner, 'MEMBER')`;
  if (member) refuse(`role ${role} is, or is a member of, ${member.owner}, the owner of the tables: it could alter them and disable their triggers`, { role, owner: member.owner });
  const granted: Record<string, string> = {};
  await prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`GRANT USAGE ON SCHEMA "${await schemaName(prisma)}" TO "${role}"`);
    for (const { name } of tables) {
      await tx.$executeRawUnsafe(`REVOKE ALL ON TABLE "${name}" FROM "${role}"`);
      await tx.$executeRawUnsafe(`GRANT ${privilegesFor(name)} ON TABLE "${name}" TO "${role}"`);
      granted[name] = privilegesFor(name);
    }
    const sequences = await tx.$queryRaw<{ name: string }[]>`
      SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S'`;
    for (const { name } of sequences) {
      await tx.$executeRawUnsafe(`REVOKE ALL ON SEQUENCE "${name}" FROM "${role}"`);
      await tx.$executeRawUnsafe(`GRANT USAGE, SELECT ON SEQUENCE "${name}" TO "${role}"`);
    }
    await record(tx, { role, tables: granted });
  });
  return { role, tables: granted };
}

async function schemaName(prisma: PrismaClient): Promise<string> {
  const [{ schema }] = await prisma.$queryRaw<{ schema: string }[]>`SELECT current_schema() AS schema`;
  return schema.replaceAll('"', '""');
}
