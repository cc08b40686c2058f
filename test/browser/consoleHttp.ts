/**
 * The console over plain HTTP, for the refusal matrix: sign-in through next-auth's credentials
 * callback, the console's pages and route handlers found on the file system, its server actions
 * found in the build's server-reference manifest (id, module, exported name), and a server
 * action called the way React calls it (Next-Action header, arguments in multipart form data).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SUITE_DIST_DIR } from '../support/nextServer';

const APP = join(process.cwd(), 'app');
const MANIFEST = join(process.cwd(), SUITE_DIST_DIR, 'server', 'server-reference-manifest.json');

/** `app/(console)/institutions/[id]/page` → `/institutions/[id]` (route groups dropped). */
export function routeOf(modulePath: string): string {
  const segments = modulePath.split(/[\\/]/).slice(1, -1).filter((s) => !/^\(.*\)$/.test(s));
  return `/${segments.join('/')}`;
}

/** A route with its dynamic segments filled in: ids that need not exist, since every check comes before the lookup. */
export const concretePath = (route: string): string => route.replace(/\[\[?\.{0,3}[^\]]+\]?\]/g, '1');

function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name === name)
    .map((e) => relative(process.cwd(), join(e.parentPath, e.name)));
}

/** Every page of the console's shell (app/(console)/**\/page.tsx), as routes. */
export const consolePages = (): string[] => filesNamed(join(APP, '(console)'), 'page.tsx').map((f) => routeOf(f.replace(/\.tsx$/, ''))).sort();

/** Route handlers that a signed-in browser calls: all but the machine API (tokens) and next-auth's own. */
export const cookieRouteHandlers = (): string[] =>
  filesNamed(APP, 'route.ts')
    .filter((f) => !f.startsWith(`app${sep}api${sep}v1${sep}`) && !f.startsWith(`app${sep}api${sep}auth${sep}`))
    .map((f) => routeOf(f.replace(/\.ts$/, '')))
    .sort();

export interface ServerAction {
  readonly id: string;
  readonly name: string;
  readonly file: string;
  /** A page whose bundle holds the action: where it is posted. */
  readonly path: string;
}

/** The build's server actions (the same build the test server runs). */
export function serverActions(): ServerAction[] {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { node: Record<string, { workers: Record<string, unknown>; filename: string; exportedName: string }> };
  return Object.entries(manifest.node).map(([id, a]) => {
    const page = Object.keys(a.workers).find((w) => w.endsWith('/page'))!;
    return { id, name: a.exportedName, file: a.filename, path: concretePath(routeOf(page)) };
  });
}

export const cookieHeader = (setCookies: readonly string[]): string => setCookies.map((c) => c.split(';')[0]).join('; ');

/** Signs in through next-auth's credentials callback and answers the session cookie. */
export async function signInOverHttp(url: string, username: string, password: string, code: string): Promise<string> {
  const csrf = await fetch(`${url}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await fetch(`${url}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(csrf.headers.getSetCookie()), origin: url },
    body: new URLSearchParams({ csrfToken, username, password, code, json: 'true' }),
  });
  const session = response.headers.getSetCookie().filter((c) => /^(__Host-)?tqca\.session=/.test(c));
  if (session.length === 0) throw new Error(`sign-in of ${username} failed: ${response.status} ${await response.text()}`);
  return cookieHeader(session);
}

export interface Answer {
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
  readonly setCookies: readonly string[];
}

/** Calls a server action as React's client does: (previous state, form data) for form actions. */
export async function callAction(url: string, action: ServerAction, headers: Record<string, string>, fields: Record<string, string> = {}): Promise<Answer> {
  const body = new FormData();
  // React's reply format: "$K1" names the form data whose entries are prefixed "_1_". They come
  // before the root "0", which the server parses as soon as it arrives.
  for (const [name, value] of Object.entries(fields)) body.append(`_1_${name}`, value);
  // setLocale is a plain form action (form data only); the others take useActionState's (state, form data).
  body.append('0', JSON.stringify(action.name === 'setLocale' ? ['$K1'] : [{}, '$K1']));
  const response = await fetch(`${url}${action.path}`, { method: 'POST', redirect: 'manual', body, headers: { accept: 'text/x-component', 'next-action': action.id, ...headers } });
  return { status: response.status, location: response.headers.get('location'), body: await response.text(), setCookies: response.headers.getSetCookie() };
}

export async function get(url: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { redirect: 'manual', headers });
  return { status: response.status, location: response.headers.get('location'), body: await response.text(), setCookies: response.headers.getSetCookie() };
}
