/**
 * The refusal matrix (issue 13's acceptance): every console page, cookie-authenticated route
 * handler and server action × {no session, wrong role, expired session, stale step-up,
 * cross-site} is refused by the real server, over real HTTP. Pages and route handlers are found
 * on the file system, server actions in the build's manifest, so entry points added by anyone are
 * covered without being listed; lib/server/access.ts adds the roles and step-up each one needs.
 * Each refusal is checked against the same request with a right session, so a cell that passes
 * for a wrong reason (nothing rendered at all) fails.
 */
import { expect, it } from 'vitest';
import type { OperatorRole } from '../../lib/db/generated/enums';
import { ACTION_ACCESS, PAGE_ROLES, type ActionAccess } from '../../lib/server/access';
import { freshCookie, type ConsoleRun, type SignedInOperator, type Staff } from './administration';
import { callAction, concretePath, consolePages, cookieRouteHandlers, get, serverActions, type Answer, type ServerAction } from './consoleHttp';

const KEEPALIVE_MS = 5_000;

interface Caller {
  readonly roles: readonly OperatorRole[];
  readonly cookie: string;
}

const sameSite = (url: string, cookie?: string) => ({ origin: url, 'sec-fetch-site': 'same-origin', ...(cookie ? { cookie } : {}) });
const crossSite = (url: string, cookie: string) => ({ origin: url, 'sec-fetch-site': 'cross-site', cookie });
/** A cookie of the console's name that no session stands behind. */
const FORGED = 'tqca.session=forged';

/** Where a refused page sent the browser: the error code on the sign-in redirect. */
function signInError(answer: Answer): string | null {
  const target = answer.location ?? /\/sign-in\?error=[A-Z_]+/.exec(answer.body)?.[0] ?? null;
  if (target === null || !target.includes('/sign-in')) return null;
  return new URL(target, 'http://x').searchParams.get('error') ?? 'NONE';
}

const pageRoles = (route: string): readonly OperatorRole[] | undefined => PAGE_ROLES[route];
const actionAccess = (action: ServerAction): ActionAccess | undefined => (ACTION_ACCESS as Record<string, ActionAccess>)[action.name];

export function refusalMatrixTests(run: ConsoleRun, staff: Staff): void {
  const url = run.url;
  // The server's TQCA_STEP_UP_MAX_AGE_SECONDS, waited for in real time.
  const stepUpMaxAgeMs = run.stepUpSeconds * 1000;
  const callers: Caller[] = [];
  let expired = '';
  const stale: Caller[] = [];
  let staleSince = 0;
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const failures: string[] = [];
  const check = (cell: string, passed: boolean, got: string) => {
    if (!passed) failures.push(`${cell}: got ${got}`);
  };

  const callerWith = (roles: readonly OperatorRole[]) => callers.find((c) => c.roles.some((r) => roles.includes(r)));
  const callerWithout = (roles: readonly OperatorRole[]) => callers.find((c) => !c.roles.some((r) => roles.includes(r)));

  it('refusal matrix: signs in an administrator, an officer and an auditor, lets one session go idle, and keeps two alive to let their step-up grow stale', async () => {
    const admin = staff.admins[1]!;
    const people: [SignedInOperator, OperatorRole][] = [
      [admin, 'ADMIN'],
      [staff.officer!, 'OFFICER'],
      [staff.auditor!, 'AUDITOR'],
    ];
    for (const [operator, role] of people.slice(0, 2)) stale.push({ roles: [role], cookie: await freshCookie(url, operator) });
    staleSince = Date.now();
    expired = await freshCookie(url, staff.auditor!);
    // Touching a session keeps it from the idle timeout; it does not refresh its second factor.
    keepalive = setInterval(() => {
      for (const c of [...stale, ...callers]) void fetch(`${url}/`, { headers: sameSite(url, c.cookie), redirect: 'manual' }).then((r) => r.body?.cancel(), () => {});
    }, KEEPALIVE_MS);
    await new Promise((r) => setTimeout(r, (run.idleSeconds + 2) * 1000));
    for (const [operator, role] of people) callers.push({ roles: [role], cookie: await freshCookie(url, operator) });
  });

  it('refusal matrix: pages', async () => {
    const routes = consolePages();
    expect(routes).toEqual(expect.arrayContaining(['/', '/operators', '/institutions', '/institutions/[id]', '/api-tokens', '/step-up']));
    const admin = callers[0]!.cookie;
    const expiredAnswers: [string, Answer][] = [];
    for (const route of routes) {
      const path = concretePath(route);
      const none = await get(url, path, {});
      check(`page ${route} × no cookie`, signInError(none) !== null, `${none.status} ${none.location}`);
      const forged = await get(url, path, sameSite(url, FORGED));
      check(`page ${route} × forged session`, signInError(forged) === 'AUTHENTICATION_REQUIRED', `${forged.status} ${signInError(forged)}`);
      expiredAnswers.push([route, await get(url, path, sameSite(url, expired))]);
      const cross = await get(url, path, crossSite(url, admin));
      check(`page ${route} × cross-site`, signInError(cross) === 'CROSS_SITE_REQUEST', `${cross.status} ${signInError(cross)}`);
      const roles = pageRoles(route);
      const allowed = roles ? callerWith(roles)! : callers[0]!;
      const control = await get(url, path, sameSite(url, allowed.cookie));
      check(`page ${route} × right role (control)`, control.status === 200 && !control.body.includes('OPERATOR_FORBIDDEN'), `${control.status}`);
      const wrong = roles && callerWithout(roles);
      if (wrong) {
        const refused = await get(url, path, sameSite(url, wrong.cookie));
        check(`page ${route} × wrong role ${wrong.roles}`, refused.status === 200 && refused.body.includes('data-error-code="OPERATOR_FORBIDDEN"') && !refused.body.includes('<table'), `${refused.status}`);
      }
    }
    for (const [route, answer] of expiredAnswers) check(`page ${route} × expired session`, signInError(answer) === 'SESSION_EXPIRED', `${answer.status} ${signInError(answer)}`);
    expect(failures).toEqual([]);
  });

  it('refusal matrix: cookie-authenticated route handlers', async () => {
    const admin = callers[0]!.cookie;
    const routes = cookieRouteHandlers();
    expect(routes).toEqual(expect.arrayContaining(['/institutions/[id]/history.csv', '/audit/export']));
    for (const route of routes) {
      const path = concretePath(route);
      const roles = pageRoles(route);
      const allowed = roles ? callerWith(roles)!.cookie : admin;
      // Past the checks, the handler answers for itself: 200, or its own 400 or 404 for a request
      // it cannot serve (an object this CA does not have, no format chosen); never 401 or 403.
      const control = await get(url, path, sameSite(url, allowed));
      check(`route ${route} × right role (control)`, [200, 400, 404].includes(control.status), `${control.status}`);
      const refused = (a: Answer) => a.status === 401 || a.status === 403 || signInError(a) !== null;
      for (const [cell, headers] of [
        ['forged session', sameSite(url, FORGED)],
        ['expired session', sameSite(url, expired)],
        ['cross-site', crossSite(url, admin)],
      ] as const) {
        const answer = await get(url, path, headers);
        check(`route ${route} × ${cell}`, refused(answer), `${answer.status}`);
      }
      // A role the table does not list (an administrator for the audit export and the certificate download) is refused before the handler answers.
      const wrong = roles && callerWithout(roles);
      if (wrong) {
        const answer = await get(url, path, sameSite(url, wrong.cookie));
        check(`route ${route} × wrong role ${wrong.roles}`, answer.status === 403 && answer.body.includes('OPERATOR_FORBIDDEN'), `${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refusal matrix: server actions (no session, expired, wrong role, cross-site)', async () => {
    const actions = serverActions();
    expect(actions.map((a) => a.name)).toEqual(expect.arrayContaining(Object.keys(ACTION_ACCESS)));
    const admin = callers[0]!.cookie;
    for (const action of actions) {
      const access = actionAccess(action);
      const cell = (what: string) => `action ${action.name} (${action.file}) × ${what}`;
      const cross = await callAction(url, action, crossSite(url, admin));
      if (access?.public) {
        check(cell('cross-site'), !cross.setCookies.some((c) => c.startsWith('tqca.locale=')), cross.setCookies.join(', '));
        continue;
      }
      check(cell('cross-site'), cross.body.includes('CROSS_SITE_REQUEST'), cross.body.slice(-200));
      const none = await callAction(url, action, sameSite(url));
      check(cell('no cookie'), signInError(none) !== null, `${none.status}`);
      const forged = await callAction(url, action, sameSite(url, FORGED));
      check(cell('forged session'), forged.body.includes('AUTHENTICATION_REQUIRED'), forged.body.slice(-200));
      const gone = await callAction(url, action, sameSite(url, expired));
      check(cell('expired session'), gone.body.includes('SESSION_EXPIRED'), gone.body.slice(-200));
      const wrong = access?.roles && callerWithout(access.roles);
      if (wrong) {
        const refused = await callAction(url, action, sameSite(url, wrong.cookie));
        check(cell(`wrong role ${wrong.roles}`), refused.body.includes('OPERATOR_FORBIDDEN'), refused.body.slice(-200));
      }
    }
    expect(failures).toEqual([]);
  });

  it('refusal matrix: server actions that need a fresh second factor refuse a stale one', async () => {
    const wait = staleSince + stepUpMaxAgeMs + 5_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    clearInterval(keepalive);
    const needing = serverActions().filter((a) => actionAccess(a)?.stepUp);
    expect(needing.length).toBeGreaterThan(0);
    for (const action of needing) {
      const caller = stale.find((c) => c.roles.some((r) => actionAccess(action)!.roles!.includes(r)))!;
      const refused = await callAction(url, action, sameSite(url, caller.cookie));
      check(`action ${action.name} × stale step-up`, refused.body.includes('STEP_UP_REQUIRED'), refused.body.slice(-200));
    }
    // The stale sessions are otherwise alive: an action without step-up passes their checks (and is refused by its form instead).
    const reject = serverActions().find((a) => a.name === 'rejectOperatorChange')!;
    const passed = await callAction(url, reject, sameSite(url, stale[0]!.cookie));
    check('stale session × action without step-up (control)', passed.body.includes('FORM_INVALID'), passed.body.slice(-200));
    expect(failures).toEqual([]);
  }, stepUpMaxAgeMs + 120_000);
}
