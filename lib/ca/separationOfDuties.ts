/**
 * Separation of duties: one person cannot be two. ADMIN (manages operators) and OFFICER (runs
 * the CA) never sit on one account, and AUDITOR (checks both) is held alone — so every account
 * holds exactly one role, and changing what an account may do is replacing its role. The
 * database repeats the rule (operator_separation_of_duties_check); the governance report checks
 * it at every point of the audit chain.
 */
import { OperatorRole } from '../db/generated/enums';
import { err, ok, type Result } from '../errors';

/** Why a set of roles breaks separation of duties, or null when it does not. */
export function rolesConflict(roles: readonly string[]): string | null {
  if (roles.includes('ADMIN') && roles.includes('OFFICER')) return 'ADMIN and OFFICER are never held by one account';
  if (roles.includes('AUDITOR') && new Set(roles).size > 1) return 'AUDITOR is held alone';
  return null;
}

/** Untrusted roles → a known, duplicate-free set within separation of duties. */
export function checkRoles(roles: readonly string[]): Result<OperatorRole[]> {
  if (roles.length === 0) return err('OPERATOR_INVALID', 'an operator needs a role', { field: 'roles' });
  const unknown = roles.filter((r) => !Object.hasOwn(OperatorRole, r));
  if (unknown.length > 0) return err('OPERATOR_INVALID', `unknown role ${unknown.join(', ')}`, { field: 'roles' });
  const unique = [...new Set(roles)] as OperatorRole[];
  const conflict = rolesConflict(unique);
  return conflict ? err('ROLE_CONFLICT', conflict, { field: 'roles', details: { roles: unique } }) : ok(unique);
}
