import type { CommandGroup } from '../command';

export const db: CommandGroup = {
  name: 'db',
  summary: 'PostgreSQL set-up by the database owner: the application role’s grants',
  commands: [
    {
      name: 'grant-app-role',
      summary: 'as the owner: migrate, then grant the application role what it needs (INSERT and SELECT only on the log tables)',
      load: () => import('./dbCommands').then((m) => ({ default: m.grantAppRoleCommand })),
    },
  ],
};
