import type { ReactNode } from 'react';
import { Shell } from '../../components/Shell';
import { pageSession } from '../../lib/server/session';

// Layouts do not re-run on client navigation: every page below checks its own session as well.
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  return <Shell session={await pageSession({ pending: true })}>{children}</Shell>;
}
