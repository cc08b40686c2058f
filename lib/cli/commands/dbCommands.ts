/**
 * `tqca db grant-app-role <role>`: run with DATABASE_URL naming the owner of the schema (who
 * applies the migrations); afterwards the server and every `tqca` command run as <role>
 * (docs/operators-guide.md "The application role").
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../../audit';
import { grantAppRole } from '../../db/appRole';
import { openDatabase } from '../../db/client';
import { Code, ok, TqException } from '../../errors';
import { defineCommand, positional, valid } from '../command';
import { details } from './caSession';

export const grantAppRoleCommand = defineCommand({
  description: `Applies pending migrations as the owner (DATABASE_URL), then revokes whatever <role> holds on
the schema's tables and grants exactly: SELECT, INSERT on the log tables (audit_event, audit_leaf,
audit_key, audit_checkpoint, audit_witness_key, audit_cosignature); SELECT, UPDATE on the chain head;
SELECT on _prisma_migrations; SELECT, INSERT, UPDATE, DELETE on every other table; USAGE on the
sequences. Refuses a superuser, the owner or a member of the owner's role (DB_APP_ROLE_REFUSED).
Run it again after every upgrade. Recorded in the audit log (database.appRole.granted).`,
  options: {},
  positionals: { role: positional('<role>', 'the PostgreSQL role the application logs in as', (text) => ok(text)) },
  async run({ positionals }) {
    const database = await openDatabase({ create: false });
    try {
      if (database.engine !== 'postgresql') {
        throw new TqException({ code: Code.DB_APP_ROLE_REFUSED, message: 'the embedded PGlite has a single user: there is no application role to restrict; set DATABASE_URL to the PostgreSQL owner', field: 'database' });
      }
      const grants = await grantAppRole(database.prisma, positionals.role, (tx, g) =>
        appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'database.appRole.granted', objectType: 'database', objectId: g.role, details: { tables: g.tables }, time: new Date() }),
      );
      return { ...valid({ role: grants.role, tables: grants.tables }), text: details({ role: grants.role, ...grants.tables }) };
    } finally {
      await database.close();
    }
  },
});
