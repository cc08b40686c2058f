/**
 * The signed-in operator for pages, server actions and route handlers. Every entry point calls
 * one of these itself (proxy.ts only redirects early); roles are then checked again by the services.
 */
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { decode } from 'next-auth/jwt';
import { cache } from 'react';
import { checkRole, requireFreshSecondFactor, resumeSession, sessionComplete, type ConsoleSession, type Operator, type OperatorRole } from '../ca';
import { Code, err, type Result } from '../errors';
import { ACTION_ACCESS, PAGE_ROLES, type ActionAccess, type ActionName } from './access';
import { SESSION_COOKIE } from './auth';
import { consoleServices } from './ca';
import { checkSameOrigin } from './sameOrigin';
import { consoleKeys } from './secrets';

/** The live session behind this request's cookie; resumed (and touched) once per request. */
export const currentSession = cache(async (): Promise<Result<ConsoleSession>> => {
  const cookie = (await cookies()).get(SESSION_COOKIE)?.value;
  const token = cookie ? await decode({ token: cookie, secret: consoleKeys().jwtSecret }).catch(() => null) : null;
  if (typeof token?.sid !== 'string') return err(Code.AUTHENTICATION_REQUIRED, 'sign in to use the console', { field: 'session' });
  return resumeSession((await consoleServices()).auth, token.sid);
});

/**
 * For pages: the session, or a redirect to sign-in. Until the first-run password is replaced and
 * a second factor enrolled, only the pages that do so (`pending`) open.
 */
export async function pageSession(options: { pending?: boolean } = {}): Promise<ConsoleSession> {
  // A page loaded from another site's link or frame (never our own navigation, never a typed URL) gets no session.
  const site = (await headers()).get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') redirect('/sign-in?error=CROSS_SITE_REQUEST');
  const session = await currentSession();
  if (!session.ok) redirect(`/sign-in?error=${session.error.code}`);
  if (!options.pending) {
    if (session.value.passwordChangeRequired) redirect('/account/password');
    if (session.value.enrolmentRequired) redirect('/account/second-factor');
  }
  return session.value;
}

/** For pages: OPERATOR_FORBIDDEN renders as the page's error unless the operator holds a role. */
export async function pageOperator(roles: readonly OperatorRole[], action: string): Promise<Result<Operator>> {
  const session = await pageSession();
  const allowed = checkRole(session.operator, roles, action);
  return allowed.ok ? { ok: true, value: session.operator } : allowed;
}

/** For pages listed in PAGE_ROLES (lib/server/access.ts): the operator, or OPERATOR_FORBIDDEN to render. */
export async function pageOperatorFor(route: keyof typeof PAGE_ROLES & string): Promise<Result<ConsoleSession>> {
  const session = await pageSession();
  const allowed = checkRole(session.operator, PAGE_ROLES[route]!, `open ${route}`);
  return allowed.ok ? { ok: true, value: session } : allowed;
}

/**
 * For server actions and cookie-authenticated route handlers: same-origin, then a live session
 * (complete, unless `pending`), then — when given — one of `roles`. Answers with the error, never
 * a redirect, so forms render it beside the field at fault.
 */
export async function actionSession(options: SessionOptions = {}): Promise<Result<ConsoleSession>> {
  return checkedSession(options, true);
}

/**
 * For cookie-authenticated route handlers that only read (downloads): the same checks, where a
 * GET without an Origin header passes but a cross-site Sec-Fetch-Site or foreign Origin does not.
 */
export async function readSession(options: SessionOptions = {}): Promise<Result<ConsoleSession>> {
  return checkedSession(options, false);
}

type SessionOptions = { pending?: boolean; roles?: readonly OperatorRole[]; action?: string };

async function checkedSession(options: SessionOptions, changesState: boolean): Promise<Result<ConsoleSession>> {
  const sameOrigin = checkSameOrigin(await headers(), { changesState });
  if (!sameOrigin.ok) return sameOrigin;
  const session = await currentSession();
  if (!session.ok) return session;
  if (!options.pending && !sessionComplete(session.value)) {
    return err(Code.AUTHENTICATION_REQUIRED, 'change the one-time password and enrol a second factor first', { field: 'session' });
  }
  if (options.roles) {
    const allowed = checkRole(session.value.operator, options.roles, options.action ?? 'do this');
    if (!allowed.ok) return allowed;
  }
  return session;
}

/**
 * A server action's checks, in the handler, from its row in ACTION_ACCESS: same-origin, a live
 * session, its roles, and a fresh second factor where the row asks for one.
 */
export async function guardAction(name: ActionName, what: string = name): Promise<Result<ConsoleSession>> {
  const access: ActionAccess = ACTION_ACCESS[name];
  const session = await actionSession({ pending: access.pending, roles: access.roles, action: what });
  if (!session.ok || !access.stepUp) return session;
  const { ca, auth } = await consoleServices();
  const fresh = requireFreshSecondFactor(session.value, ca.now(), auth.policy.stepUpMaxAgeMs);
  return fresh.ok ? session : fresh;
}

/** For cookie-authenticated GET route handlers (downloads): actionSession without the Origin a navigation does not send. */
