/**
 * The OpenAPI 3.1 document of /api/v1, written by hand beside the handlers (a handful of endpoints
 * does not pay for a generator). Tests validate it with @seriousme/openapi-schema-validator and
 * check real responses against its schemas (test/e2e/api.test.ts).
 */
import { ISSUER_CERTIFICATE_STATES, ISSUER_REQUEST_STATES } from '../ca';
import { REVOCATION_REASONS } from '../codec';
import { ERROR_DEFINITIONS } from '../errors';

const problem = { $ref: '#/components/responses/Problem' } as const;
const refusals = { '400': problem, '401': problem, '403': problem, '429': problem, '500': problem, '503': problem } as const;
const hex = (bytes: number, description: string) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$`, description });
/** A 200 answer as JSON (the schema named) or, with Accept: application/octet-stream, the raw bytes. */
const jsonOrBytes = (schema: string) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schema}` } },
  'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
});
const hexBytes = (description: string) => ({ type: 'string', pattern: '^([0-9a-f]{2})+$', description });
const version = { type: 'integer', minimum: 1, maximum: 4294967295 } as const;
const versionParameter = { name: 'version', in: 'path', required: true, description: 'bundle version, decimal', schema: version } as const;
const treeSize = { type: 'integer', minimum: 0 } as const;
const hexUpper = (bytes: number, description: string) => ({ type: 'string', pattern: `^[0-9A-F]{${bytes * 2}}$`, description });
const nullableTime = { oneOf: [{ type: 'null' }, { type: 'string', format: 'date-time' }] };
const CERTIFICATE_SUMMARY = {
  number: hexUpper(4, 'certificate number, as QR field 4 carries it'),
  state: { enum: [...ISSUER_CERTIFICATE_STATES] },
  serial: { type: 'integer', minimum: 1, maximum: 16777215 },
  expiry: { type: 'string', pattern: '^[0-9]{4}$', description: 'MMYY, valid through the end of that month (CST)' },
  expiresAt: { type: 'string', format: 'date-time', description: 'the first instant after validity' },
  rootKeyIndex: hexUpper(1, 'the root key that signed it'),
  requestId: { type: 'integer', minimum: 1 },
  issuedAt: { type: 'string', format: 'date-time' },
  revokedAt: nullableTime,
  revocationReason: { oneOf: [{ type: 'null' }, { enum: [...REVOCATION_REASONS] }] },
};
const object = (properties: Record<string, object>) => ({ type: 'object', required: Object.keys(properties), additionalProperties: false, properties });

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'TQ-CA machine-client API',
    version: '1',
    description:
      'Root keys, bundles, deltas, revocations and acknowledgements for acquirers; challenges, certificate requests (A1) and certificates for issuers (TQ-CERT-1); checkpoints, consistency proofs and cosignatures for the audit log’s witnesses. Errors are RFC 9457 problem documents carrying the TQ-CA error code.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }],
  paths: {
    '/roots': {
      get: {
        operationId: 'getRoots',
        summary: 'The root keys of the current bundle: its A2 records, with their check values and states (acquirer and issuer tokens)',
        description:
          'Exactly the A2 records of the latest published bundle (TQ-CERT-1 §12.2), so this answer and the bundles never disagree. The state is what the bundle implies: active signs it; announced is listed ahead of use (above the signer); retiring is listed below the signer, kept for its certificates.',
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the 109-byte A2 records of the bundle concatenated, in index order',
            content: jsonOrBytes('Roots'),
          },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/acknowledgements': {
      post: {
        operationId: 'postAcknowledgement',
        summary: 'The bundle version the acquirer verified and installed, with the manifest’s body SM3',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AcknowledgementRequest' } } } },
        responses: {
          '201': { description: 'recorded; matches=false is an alarm (the body SM3 differs from the published one)', content: { 'application/json': { schema: { $ref: '#/components/schemas/AcknowledgementRecorded' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/bundles/latest': {
      get: {
        operationId: 'getLatestManifest',
        summary: 'The current manifest (A5); poll it with If-None-Match',
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the 122-byte A5 record. A strong ETag names the manifest.',
            headers: { ETag: { schema: { type: 'string' } } },
            content: jsonOrBytes('Manifest'),
          },
          '304': { description: 'If-None-Match named the current manifest', headers: { ETag: { schema: { type: 'string' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/bundles/{version}': {
      get: {
        operationId: 'getBundle',
        summary: 'A published bundle (TQ-CERT-1 §12), immutable',
        parameters: [versionParameter],
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the bundle bytes',
            content: jsonOrBytes('Bundle'),
          },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/bundles/{version}/delta': {
      get: {
        operationId: 'getBundleDelta',
        summary: 'The delta that turns bundle `from` into bundle `version` (TQ-CERT-1 §12.3)',
        parameters: [versionParameter, { name: 'from', in: 'query', required: true, description: 'the version the client holds, older than version', schema: { type: 'integer', minimum: 1, maximum: 4294967295 } }],
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the delta bytes',
            content: jsonOrBytes('Delta'),
          },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/revocations': {
      get: {
        operationId: 'getRevocations',
        summary: 'The A4 revocation list of the latest bundle',
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the A4 record',
            content: jsonOrBytes('Revocations'),
          },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/log/checkpoint': {
      get: {
        operationId: 'getLogCheckpoint',
        summary: 'Witnesses: the newest signed checkpoint of the audit log (c2sp.org/tlog-checkpoint) with the cosignatures stored so far',
        responses: {
          '200': { description: 'the checkpoint note', content: { 'application/json': { schema: { $ref: '#/components/schemas/LogCheckpoint' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/log/consistency': {
      get: {
        operationId: 'getLogConsistency',
        summary: 'Witnesses: an RFC 9162 consistency proof from tree size `from` to a signed checkpoint’s size `to`',
        parameters: [
          { name: 'from', in: 'query', required: true, description: 'the size the witness last cosigned (0: none)', schema: treeSize },
          { name: 'to', in: 'query', required: true, description: 'the size of the checkpoint to cosign', schema: treeSize },
        ],
        responses: {
          '200': { description: 'the proof, base64 hashes in RFC 9162 order', content: { 'application/json': { schema: { $ref: '#/components/schemas/LogConsistency' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/log/cosignatures': {
      post: {
        operationId: 'postLogCosignature',
        summary: 'Witnesses: the checkpoint note with the witness’s cosignature (c2sp.org/tlog-cosignature) added; stored once it verifies under a registered witness key',
        requestBody: { required: true, content: { 'application/json': { schema: object({ note: { type: 'string', description: 'the cosigned checkpoint note' } }) } } },
        responses: {
          '201': { description: 'stored; `added` names the witnesses new in this post', content: { 'application/json': { schema: { $ref: '#/components/schemas/LogCosignatures' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/challenges': {
      post: {
        operationId: 'postChallenge',
        summary: 'A fresh 16-byte single-use challenge for the token’s issuer, valid 24 hours (TQ-CERT-1 §8)',
        responses: {
          '201': { description: 'issued', content: { 'application/json': { schema: { $ref: '#/components/schemas/Challenge' } } } },
          ...refusals,
        },
      },
    },
    '/requests': {
      post: {
        operationId: 'postRequest',
        summary: 'Submit an A1 record (161 bytes); every §8 check runs, a refusal names the field and stores nothing',
        description: 'Limited per token beyond the general rate (TQCA_API_SUBMISSION_RATE, TQCA_API_SUBMISSION_BURST). The A1 must name the token’s issuer.',
        requestBody: {
          required: true,
          content: {
            'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream', description: 'the 161-byte A1 record' } },
            'application/json': { schema: { $ref: '#/components/schemas/RequestSubmission' } },
          },
        },
        responses: {
          '201': {
            description: 'stored; read the fingerprint to the clearing center out of band',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestAnswer' } } },
          },
          '409': problem,
          ...refusals,
        },
      },
      get: {
        operationId: 'listRequests',
        summary: 'The token’s issuer’s requests, oldest first',
        parameters: [{ name: 'state', in: 'query', required: false, schema: { enum: [...ISSUER_REQUEST_STATES] } }],
        responses: {
          '200': { description: 'the requests', content: { 'application/json': { schema: { $ref: '#/components/schemas/Requests' } } } },
          ...refusals,
        },
      },
    },
    '/requests/{id}': {
      get: {
        operationId: 'getRequest',
        summary: 'One of the token’s issuer’s requests: its state and, once issued, the certificate number',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 2147483647 } }],
        responses: {
          '200': { description: 'the request', content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestAnswer' } } } },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/certificates': {
      get: {
        operationId: 'listCertificates',
        summary: 'The token’s issuer’s certificates, in number order',
        parameters: [{ name: 'state', in: 'query', required: false, schema: { enum: [...ISSUER_CERTIFICATE_STATES] } }],
        responses: {
          '200': { description: 'the certificates', content: { 'application/json': { schema: { $ref: '#/components/schemas/Certificates' } } } },
          ...refusals,
        },
      },
    },
    '/certificates/{number}': {
      get: {
        operationId: 'getCertificate',
        summary: 'One of the token’s issuer’s certificates with its A3 record, state, expiry and revocation',
        parameters: [{ name: 'number', in: 'path', required: true, description: 'eight hex digits', schema: { type: 'string', pattern: '^[0-9a-fA-F]{8}$' } }],
        responses: {
          '200': { description: 'JSON by default; with Accept: application/octet-stream the 106-byte certificate', content: jsonOrBytes('CertificateAnswer') },
          '404': problem,
          ...refusals,
        },
      },
    },
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'Liveness: the server process answers (reads neither the database nor the HSM)',
        security: [],
        responses: { '200': { description: 'alive', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } } },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'tqt_<16 hex>_<43 base64url>', description: 'An API token created by an administrator (tqca token create)' },
    },
    responses: {
      Problem: { description: 'An error (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    },
    schemas: {
      Health: object({ status: { const: 'ok' } }),
      Roots: {
        type: 'object',
        required: ['version', 'roots'],
        additionalProperties: false,
        properties: {
          version: { ...version, description: 'the bundle version the records are read from' },
          roots: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'state', 'expiry', 'checkValue', 'a2Record'],
              additionalProperties: false,
              properties: {
                index: hex(1, 'root-key index'),
                state: { enum: ['announced', 'active', 'retiring'], description: 'as the bundle implies: the signer is active, keys above it announced, keys below it retiring' },
                expiry: { type: 'string', pattern: '^[0-9]{6}$', description: 'last valid day, YYMMDD' },
                checkValue: hex(32, 'SM3 check value of the A2 record'),
                a2Record: hex(109, 'the A2 record'),
              },
            },
          },
        },
      },
      Manifest: object({
        version,
        manifest: hex(122, 'the A5 manifest record'),
        bodySm3: hex(32, 'SM3 of the bundle body, as the manifest signs it'),
        publishedAt: { type: 'string', format: 'date-time' },
        expiresAt: { type: 'string', format: 'date-time' },
      }),
      Bundle: object({ version, bundle: hexBytes('the bundle') }),
      Delta: object({ from: version, version, delta: hexBytes('the delta') }),
      Revocations: object({ revocationList: hexBytes('the A4 record') }),
      AcknowledgementRequest: {
        type: 'object',
        required: ['version', 'bodySm3'],
        additionalProperties: false,
        properties: {
          version: { type: 'integer', minimum: 1, maximum: 4294967295 },
          bodySm3: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'SM3 of the bundle body as the acquirer computed it' },
          acquirer: { type: 'string', pattern: '^[0-9a-fA-F]{8}$', description: 'optional: the acquirer’s code, which must be the token’s institution' },
        },
      },
      AcknowledgementRecorded: {
        type: 'object',
        required: ['acknowledgement'],
        additionalProperties: false,
        properties: {
          acknowledgement: {
            type: 'object',
            required: ['id', 'version', 'bodySm3', 'matches', 'receivedAt'],
            additionalProperties: false,
            properties: {
              id: { type: 'integer' },
              version: { type: 'integer' },
              bodySm3: hex(32, 'as acknowledged'),
              matches: { type: 'boolean' },
              receivedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
      LogCheckpoint: object({ checkpoint: object({ size: treeSize, note: { type: 'string', description: 'the signed note: checkpoint text, blank line, signature lines' } }) }),
      LogConsistency: object({ consistency: object({ from: treeSize, to: treeSize, proof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } } }) }),
      LogCosignatures: object({
        cosignatures: object({ size: treeSize, added: { type: 'array', items: { type: 'string' } }, note: { type: 'string', description: 'the checkpoint with every stored cosignature' } }),
      }),
      Challenge: object({
        issuerId: hexUpper(4, 'the token’s issuer, bytes 1–4 of the A1 record'),
        challenge: hex(16, 'bytes 77–92 of the A1 record'),
        issuedAt: { type: 'string', format: 'date-time' },
        expiresAt: { type: 'string', format: 'date-time' },
      }),
      RequestSubmission: object({ a1: { type: 'string', pattern: '^([0-9a-fA-F]{2})+$', description: 'the 161-byte A1 record, hex' } }),
      Request: object({
        id: { type: 'integer', minimum: 1 },
        issuerId: hexUpper(4, 'the issuer'),
        state: { enum: [...ISSUER_REQUEST_STATES], description: 'reviewed: the center confirmed the fingerprint; approval by a second officer follows' },
        serial: { type: 'integer', minimum: 1, maximum: 16777215 },
        expiry: { type: 'string', pattern: '^[0-9]{4}$', description: 'MMYY' },
        fingerprint: hex(8, 'SM3(X‖Y)[0..7], to read to the center out of band'),
        submittedAt: { type: 'string', format: 'date-time' },
        rejection: { oneOf: [{ type: 'null' }, object({ code: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] } })] },
        certificateNumber: { oneOf: [{ type: 'null' }, hex(4, 'once issued')] },
      }),
      RequestAnswer: object({ request: { $ref: '#/components/schemas/Request' } }),
      Requests: object({ requests: { type: 'array', items: { $ref: '#/components/schemas/Request' } } }),
      CertificateSummary: object(CERTIFICATE_SUMMARY),
      Certificates: object({ certificates: { type: 'array', items: { $ref: '#/components/schemas/CertificateSummary' } } }),
      CertificateAnswer: object({
        certificate: object({
          ...CERTIFICATE_SUMMARY,
          certificate: hex(106, 'the issuer certificate'),
          a3Record: { oneOf: [{ type: 'null' }, hex(184, 'the A3 distribution record')] },
        }),
      }),
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: {
          type: { type: 'string', pattern: '^urn:tqca:error:[A-Z0-9_]+$' },
          title: { type: 'string' },
          status: { type: 'integer', minimum: 400, maximum: 599 },
          detail: { type: 'string' },
          instance: { type: 'string' },
          code: { type: 'string', enum: [...new Set(ERROR_DEFINITIONS.map((d) => d.code))] },
          field: { type: 'string' },
          offset: { type: 'integer' },
          details: { type: 'object' },
        },
      },
    },
  },
} as const;
