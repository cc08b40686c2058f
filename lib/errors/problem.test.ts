import { describe, expect, it } from 'vitest';
import { ERROR_DEFINITIONS, HTTP_STATUS, problemDetails, type TqError } from './index';

describe('RFC 9457 problem details', () => {
  it('renders a bad-input error with its status, type, registered title and the error’s own place', () => {
    const error: TqError = { code: 'CERT_FORMAT', message: 'format byte is 15, not 14', field: 'format', offset: 0, details: { actual: 0x15 } };
    expect(problemDetails(error, { instance: '/api/certificates/decode' })).toEqual({
      type: 'urn:tqca:error:CERT_FORMAT',
      title: 'certificate / key-data format byte is not 14',
      status: 400,
      detail: 'format byte is 15, not 14',
      instance: '/api/certificates/decode',
      code: 'CERT_FORMAT',
      field: 'format',
      offset: 0,
      details: { actual: 0x15 },
    });
  });

  it('titles in Chinese on request, and falls back to the code’s registered field', () => {
    const problem = problemDetails({ code: 'PASSWORD_TOO_SHORT', message: 'the password has 5 characters' }, { lang: 'zh' });
    expect(problem).toEqual({
      type: 'urn:tqca:error:PASSWORD_TOO_SHORT',
      title: '密码少于 12 个字符',
      status: 400,
      detail: 'the password has 5 characters',
      code: 'PASSWORD_TOO_SHORT',
      field: 'password',
    });
  });

  it.each([
    ['CERTIFICATE_UNKNOWN', 404],
    ['CERTIFICATE_ALREADY_REVOKED', 409],
    ['OPERATOR_FORBIDDEN', 403],
    ['AUTHENTICATION_FAILED', 401],
    ['HSM_POOL_TIMEOUT', 503],
    ['AUDIT_CHAIN_BROKEN', 500],
  ] as const)('answers %s with HTTP %i', (code, status) => {
    expect(problemDetails({ code, message: 'm' }).status).toBe(status);
  });

  it('does not leak an internal error’s message or details', () => {
    const problem = problemDetails({ code: 'INTERNAL', message: 'TypeError: x is undefined at /srv/lib/ca/issuance.ts:42', details: { stack: '…' } });
    expect(problem).toEqual({ type: 'urn:tqca:error:INTERNAL', title: problem.title, status: 500, detail: problem.title, code: 'INTERNAL' });
  });

  it('maps every category to a status, and every code to a problem', () => {
    expect(Object.values(HTTP_STATUS).sort()).toEqual([400, 401, 403, 404, 409, 500, 503]);
    for (const { code } of ERROR_DEFINITIONS) expect(problemDetails({ code, message: 'm' }).type).toBe(`urn:tqca:error:${code}`);
  });
});
