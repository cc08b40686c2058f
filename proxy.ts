/**
 * Security headers on every response, a fresh CSP nonce per request (Next puts it on its own
 * scripts when the request carries the policy), and an early redirect to sign-in for pages
 * without a session cookie. Not an authorization layer: every page, action and route handler
 * checks the session itself (lib/server/session.ts).
 */
import { NextResponse, type NextRequest } from 'next/server';

const SESSION_COOKIES = ['tqca.session', '__Host-tqca.session'];
const PUBLIC_PAGES = ['/sign-in'];

function contentSecurityPolicy(nonce: string, secure: boolean): string {
  const dev = process.env.NODE_ENV === 'development';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(secure ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  const isPage = !pathname.startsWith('/api/');
  if (isPage && !PUBLIC_PAGES.includes(pathname) && !SESSION_COOKIES.some((name) => request.cookies.has(name))) {
    return withSecurityHeaders(NextResponse.redirect(new URL('/sign-in', request.url)), undefined, request);
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = contentSecurityPolicy(nonce, request.nextUrl.protocol === 'https:');
  const forwarded = new Headers(request.headers);
  forwarded.set('content-security-policy', csp);
  forwarded.set('x-nonce', nonce);
  return withSecurityHeaders(NextResponse.next({ request: { headers: forwarded } }), csp, request);
}

function withSecurityHeaders(response: NextResponse, csp: string | undefined, request: NextRequest): NextResponse {
  const h = response.headers;
  h.set('Content-Security-Policy', csp ?? "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  h.set('Referrer-Policy', 'no-referrer');
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('X-Frame-Options', 'DENY');
  h.set('Cross-Origin-Opener-Policy', 'same-origin');
  h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  if (request.nextUrl.protocol === 'https:') h.set('Strict-Transport-Security', 'max-age=31536000');
  return response;
}

export const config = {
  // Static build output carries no user data and no scripts that need the nonce.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icon.svg).*)'],
};
