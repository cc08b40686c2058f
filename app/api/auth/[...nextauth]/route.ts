// next-auth's own endpoints (sign-in callback, CSRF token, sign-out); its CSRF token guards them.
import NextAuth from 'next-auth';
import type { NextRequest } from 'next/server';
import { authOptions } from '../../../../lib/server/auth';

const handler = (request: NextRequest, context: { params: Promise<{ nextauth: string[] }> }) => NextAuth(request, context, authOptions());

export { handler as GET, handler as POST };
