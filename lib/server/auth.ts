/**
 * next-auth 4 over the CA's sign-in service. The JWT in the session cookie carries only the
 * console session's id; each request resumes that session through the CA's sign-in service (idle and
 * absolute limits, operator status), so the cookie's own expiry is a backstop, not the rule.
 */
import type { AuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { endSession, signIn } from '../ca';
import { consoleServices } from './ca';
import { sessionPolicyFrom } from './config';
import { consoleKeys } from './secrets';

export const secureCookies = (process.env.NEXTAUTH_URL ?? '').startsWith('https://');
/** `__Host-` over HTTPS: no Domain, Path=/, Secure — the cookie cannot be planted by a sibling host. */
export const SESSION_COOKIE = secureCookies ? '__Host-tqca.session' : 'tqca.session';

export function authOptions(): AuthOptions {
  const maxAge = Math.ceil(sessionPolicyFrom().absoluteMs / 1000);
  return {
    secret: consoleKeys().jwtSecret,
    session: { strategy: 'jwt', maxAge },
    jwt: { maxAge },
    useSecureCookies: secureCookies,
    cookies: {
      sessionToken: { name: SESSION_COOKIE, options: { httpOnly: true, sameSite: 'strict', path: '/', secure: secureCookies } },
    },
    pages: { signIn: '/sign-in', error: '/sign-in' },
    providers: [
      CredentialsProvider({
        name: 'operator',
        credentials: { username: { type: 'text' }, password: { type: 'password' }, code: { type: 'text' } },
        async authorize(credentials) {
          const { auth } = await consoleServices();
          const started = await signIn(auth, { username: credentials?.username ?? '', password: credentials?.password ?? '', code: credentials?.code });
          // next-auth hands the thrown message to the sign-in form: the error code, rendered from the registry.
          if (!started.ok) throw new Error(started.error.code);
          return { id: started.value.id };
        },
      }),
    ],
    callbacks: {
      jwt: ({ token, user }) => ({ sid: user?.id ?? token.sid }),
      // /api/auth/session tells the browser nothing but the cookie's expiry.
      session: ({ session }) => ({ expires: session.expires }),
    },
    events: {
      async signOut({ token }) {
        if (typeof token?.sid === 'string') await endSession((await consoleServices()).auth, token.sid, 'signOut');
      },
    },
  };
}
