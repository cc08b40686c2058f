// The console's pages in the navigation, with the roles that see them. Pages still check roles themselves.
import type { OperatorRole } from '../lib/db/generated/enums';

export interface NavItem {
  readonly href: string;
  /** Key under `nav` in messages/*.json. */
  readonly label: string;
  readonly roles: readonly OperatorRole[];
}

export const NAVIGATION: readonly NavItem[] = [
  { href: '/', label: 'dashboard', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/operators', label: 'operators', roles: ['ADMIN', 'AUDITOR'] },
  { href: '/institutions', label: 'institutions', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/api-tokens', label: 'apiTokens', roles: ['ADMIN', 'AUDITOR'] },
  { href: '/root-keys', label: 'rootKeys', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/requests', label: 'requests', roles: ['OFFICER', 'AUDITOR'] },
  { href: '/certificates', label: 'certificates', roles: ['OFFICER', 'AUDITOR'] },
  { href: '/bundles', label: 'bundles', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/distribution', label: 'distribution', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/audit', label: 'auditLog', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/signing', label: 'signing', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
  { href: '/account/password', label: 'account', roles: ['ADMIN', 'OFFICER', 'AUDITOR'] },
];

export const navigationFor = (roles: readonly OperatorRole[]) => NAVIGATION.filter((item) => item.roles.some((r) => roles.includes(r)));
