import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callJson } from './http';

let server: Server;
let base: URL;
const seen: { url?: string; authorization?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    if (req.url?.endsWith('/problem')) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'urn:tqca:error:API_VERSION_INVALID', status: 404, code: 'API_VERSION_INVALID', detail: 'no version 9', field: 'version' }));
    } else if (req.url?.endsWith('/unknown-code')) {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ code: 'NOT_A_CODE_OF_OURS', detail: 'x' }));
    } else if (req.url?.endsWith('/big')) {
      res.end(Buffer.alloc(4096));
    } else if (req.url?.endsWith('/not-json')) {
      res.end('<html>');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"fine":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the reference clients’ HTTP call', () => {
  it('resolves paths under the base URL and sends the token as a bearer', async () => {
    const answer = await callJson({ server: base, token: 'tqt_x' }, '/api/v1/roots', [200]);
    expect(answer).toEqual({ ok: true, value: { fine: true } });
    expect(seen.at(-1)).toEqual({ url: '/prefix/api/v1/roots', authorization: 'Bearer tqt_x' });
  });

  it('keeps the server’s own problem code, detail and field', async () => {
    const answer = await callJson({ server: base }, 'problem', [200]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ code: 'API_VERSION_INVALID', message: 'no version 9', field: 'version', details: { status: 404 } });
  });

  it('turns a problem with a code we do not know, and a body that is not JSON, into CLIENT_RESPONSE_INVALID', async () => {
    for (const path of ['unknown-code', 'not-json']) {
      const answer = await callJson({ server: base }, path, [200]);
      expect(answer.ok ? undefined : answer.error.code).toBe('CLIENT_RESPONSE_INVALID');
    }
  });

  it('refuses an answer larger than allowed instead of buffering it', async () => {
    const answer = await call({ server: base }, 'big', { maxBytes: 1024 });
    expect(answer.ok ? undefined : answer.error.code).toBe('CLIENT_RESPONSE_INVALID');
    expect((await call({ server: base }, 'big', { maxBytes: 8192 })).ok).toBe(true);
  });

  it('reports a server that is not there as CLIENT_SERVER_UNREACHABLE', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const answer = await call({ server: new URL(`http://127.0.0.1:${port}`) }, 'x');
    expect(answer.ok ? undefined : answer.error.code).toBe('CLIENT_SERVER_UNREACHABLE');
  });
});
