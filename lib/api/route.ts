/**
 * The one shape of an API route handler: authorize the bearer token for the endpoint's scope,
 * hand the parsed request to the endpoint (which calls a service and renders), and answer every
 * failure as a problem document. A fault that escapes is an API_INTERNAL problem (500) with its
 * stack on stderr: never a crash, never an HTML error page.
 */
import type { ApiClient, ApiTokenScope, CaServices } from '../ca';
import { err, ok, TqException, type Result } from '../errors';
import { serverCa } from '../server/ca';
import { authorize } from './clients';
import { problemResponse } from './respond';

export interface Call<P> {
  readonly request: Request;
  readonly ca: CaServices;
  readonly client: ApiClient;
  readonly params: P;
}

type NextContext<P> = { params: Promise<P> };

export function apiRoute<P = Record<string, never>>(scope: ApiTokenScope | readonly ApiTokenScope[], endpoint: (call: Call<P>) => Promise<Response>) {
  return async (request: Request, context: NextContext<P>): Promise<Response> => {
    try {
      const { ca } = await serverCa();
      const client = await authorize(ca, request, scope);
      if (!client.ok) return problemResponse(client.error, request, client.error.headers);
      return await endpoint({ request, ca, client: client.value, params: await context.params });
    } catch (thrown) {
      if (thrown instanceof TqException) return problemResponse(thrown.error, request);
      console.error('tqca api: unexpected fault', thrown);
      return problemResponse({ code: 'API_INTERNAL', message: 'unexpected fault' }, request);
    }
  };
}

/** The request body's bytes, at most `maxBytes` (a longer body is refused before it is read to the end). */
export async function readBody(request: Request, maxBytes: number): Promise<Result<Buffer>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  const tooLarge = () => err('API_BODY_TOO_LARGE', `the body may hold at most ${maxBytes} bytes`, { details: { maxBytes } });
  if (declared > maxBytes) return tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) return tooLarge();
      chunks.push(chunk);
    }
  }
  return ok(Buffer.concat(chunks));
}

/** `type` is application/json (any parameters). */
export const isJson = (type: string | null): boolean => /^application\/json\s*(;|$)/i.test(type ?? '');

/** The request body as JSON, refused unless it is application/json of at most `maxBytes`. */
export async function readJson(request: Request, maxBytes: number): Promise<Result<unknown>> {
  if (!isJson(request.headers.get('content-type'))) return err('API_MEDIA_TYPE', 'send the body as Content-Type: application/json', { field: 'content-type' });
  const body = await readBody(request, maxBytes);
  if (!body.ok) return body;
  return parseJson(body.value);
}

export function parseJson(body: Buffer): Result<unknown> {
  try {
    return ok(JSON.parse(body.toString('utf8')) as unknown);
  } catch {
    return err('API_BODY_INVALID', 'the body is not JSON', { details: { bytes: body.length } });
  }
}
