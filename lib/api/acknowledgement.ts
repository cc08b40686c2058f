/** POST /api/v1/acknowledgements' body, parsed once into a typed value. */
import { parseHex } from '../bytes';
import type { Acknowledgement } from '../ca';
import { err, ok, type Result } from '../errors';

export const ACKNOWLEDGEMENT_MAX_BYTES = 1024;

export interface AcknowledgementRequest extends Acknowledgement {
  /** The acquirer's code (8 hex) if the client names it: must be the token's institution. */
  readonly acquirer?: string;
}

const MEMBERS = ['version', 'bodySm3', 'acquirer'];

export function parseAcknowledgement(body: unknown): Result<AcknowledgementRequest> {
  const invalid = (message: string, field?: string) => err('API_BODY_INVALID', message, field === undefined ? {} : { field });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('the body must be a JSON object {version, bodySm3}');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !MEMBERS.includes(k));
  if (extra.length > 0) return invalid(`unknown member ${extra.join(', ')}`, extra[0]);
  if (typeof b.version !== 'number' || !Number.isInteger(b.version) || b.version < 1 || b.version > 0xffffffff) {
    return err('API_VERSION_INVALID', 'version must be an integer 1–4294967295', { field: 'version' });
  }
  if (typeof b.bodySm3 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(b.bodySm3)) return invalid('bodySm3 must be 64 hex digits (the manifest’s body SM3)', 'bodySm3');
  if (b.acquirer !== undefined && (typeof b.acquirer !== 'string' || !/^[0-9a-fA-F]{8}$/.test(b.acquirer))) return invalid('acquirer must be 8 hex digits', 'acquirer');
  const bodySm3 = parseHex(b.bodySm3, 'bodySm3');
  if (!bodySm3.ok) return bodySm3;
  return ok({ version: b.version, bodySm3: bodySm3.value, ...(b.acquirer === undefined ? {} : { acquirer: (b.acquirer as string).toLowerCase() }) });
}
