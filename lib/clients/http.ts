/**
 * The reference clients' one way to talk to the CA's API: a request over HTTP or HTTPS (with the
 * operator's own trust anchors and, for mutual TLS, a client certificate), a bounded body, and an
 * answer that is either the response or a typed error. A problem document the server sent keeps
 * the server's own code, so a client prints the same error the API, the CLI and the console give.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { err, isErrorCode, ok, PROBLEM_CONTENT_TYPE, type ErrorCode, type Result, type TqError } from '../errors';

export interface TlsOptions {
  /** PEM trust anchors for the server's certificate; the system's store when absent. */
  readonly ca?: string | Buffer;
  /** PEM client certificate and key, for a server that requires them (TQCA_TLS_CLIENT_CA). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

export interface ApiEndpoint {
  /** The server's base URL, e.g. https://ca.example:8443 (the /api/v1 paths are appended). */
  readonly server: URL;
  /** The API token, sent as Authorization: Bearer. */
  readonly token?: string;
  readonly tls?: TlsOptions;
  /** Per-request limit on connecting and answering (default 30 s). */
  readonly timeoutMs?: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface CallOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Largest body accepted from the server; a longer answer is refused, not buffered (default 64 MiB). */
  readonly maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** One request to `path` (relative to the server's base URL). Any status is an answer; only transport faults are errors. */
export function call(endpoint: ApiEndpoint, path: string, options: CallOptions = {}): Promise<Result<HttpAnswer>> {
  const url = new URL(path.replace(/^\//, ''), endpoint.server.href.endsWith('/') ? endpoint.server : new URL(`${endpoint.server.href}/`));
  const headers: Record<string, string> = { ...options.headers };
  if (endpoint.token !== undefined) headers.authorization = `Bearer ${endpoint.token}`;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const unreachable = (why: string) => err('CLIENT_SERVER_UNREACHABLE', `${url.origin}: ${why}`, { details: { server: url.origin } });
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return resolve(err('CLIENT_RESPONSE_INVALID', `the server URL must be http: or https:, not ${url.protocol}`, { field: 'server' }));
    const req = send(url, { method: options.method ?? 'GET', headers, ...endpoint.tls, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          resolve(err('CLIENT_RESPONSE_INVALID', `the answer exceeds ${maxBytes} bytes`, { details: { maxBytes } }));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      res.on('error', (e) => resolve(unreachable(e.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(unreachable(e.message)));
    req.end(options.body);
  });
}

/**
 * The error an answer that is not `expected` stands for: the server's own problem (its code,
 * detail, field and offset) when it sent a well-formed one, else CLIENT_RESPONSE_INVALID.
 */
export function answerError(answer: HttpAnswer): TqError {
  if ((answer.headers['content-type'] ?? '').startsWith(PROBLEM_CONTENT_TYPE)) {
    try {
      const problem = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
      if (isErrorCode(problem.code)) {
        return {
          code: problem.code as ErrorCode,
          message: typeof problem.detail === 'string' ? problem.detail : `HTTP ${answer.status}`,
          ...(typeof problem.field === 'string' ? { field: problem.field } : {}),
          ...(typeof problem.offset === 'number' ? { offset: problem.offset } : {}),
          details: { status: answer.status, ...(typeof problem.details === 'object' && problem.details !== null ? (problem.details as Record<string, unknown>) : {}) },
        };
      }
    } catch {
      // Not JSON after all: reported below as an answer the API does not promise.
    }
  }
  return { code: 'CLIENT_RESPONSE_INVALID', message: `unexpected HTTP ${answer.status} answer`, details: { status: answer.status } };
}

/** The answer's body parsed as JSON when its status is one of `expected`, else the error it stands for. */
export async function callJson(endpoint: ApiEndpoint, path: string, expected: readonly number[], options: CallOptions = {}): Promise<Result<unknown>> {
  const answer = await call(endpoint, path, { ...options, headers: { accept: 'application/json', ...options.headers } });
  if (!answer.ok) return answer;
  if (!expected.includes(answer.value.status)) return { ok: false, error: answerError(answer.value) };
  try {
    return ok(JSON.parse(answer.value.body.toString('utf8')) as unknown);
  } catch {
    return err('CLIENT_RESPONSE_INVALID', `HTTP ${answer.value.status} answer is not JSON`, { details: { status: answer.value.status } });
  }
}
