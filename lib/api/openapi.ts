/**
 * The OpenAPI 3.1 document of /api/v1, written by hand beside the handlers (a handful of endpoints
 * does not pay for a generator). Tests validate it with @seriousme/openapi-schema-validator and
 * check real responses against its schemas (test/e2e/api.test.ts).
 */
import { ERROR_DEFINITIONS } from '../errors';

const problem = { $ref: '#/components/responses/Problem' } as const;
const refusals = { '400': problem, '401': problem, '403': problem, '429': problem, '500': problem, '503': problem } as const;
const hex = (bytes: number, description: string) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$`, description });

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'TQ-CA machine-client API',
    version: '1',
    description: 'Root keys and acknowledgements for acquirers (TQ-CERT-1). Errors are RFC 9457 problem documents carrying the TQ-CA error code.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }],
  paths: {
    '/roots': {
      get: {
        operationId: 'getRoots',
        summary: 'The A2 records of the active root keys, with their check values',
        responses: {
          '200': {
            description: 'JSON by default; with Accept: application/octet-stream the 109-byte A2 records concatenated, in index order',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Roots' } },
              'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
            },
          },
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
      Roots: {
        type: 'object',
        required: ['roots'],
        additionalProperties: false,
        properties: {
          roots: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'expiry', 'checkValue', 'a2Record'],
              additionalProperties: false,
              properties: {
                index: hex(1, 'root-key index'),
                expiry: { type: 'string', pattern: '^[0-9]{6}$', description: 'last valid day, YYMMDD' },
                checkValue: hex(32, 'SM3 check value of the A2 record'),
                a2Record: hex(109, 'the A2 record'),
              },
            },
          },
        },
      },
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
