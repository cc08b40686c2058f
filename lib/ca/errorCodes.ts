/**
 * The codes the CA services report themselves, with a one-line meaning: the CA layer of the error
 * registry (lib/errors/codes/ca.ts, where a new code is declared). Codes from lib/codec, hsm/ and
 * lib/audit pass through unchanged.
 */
import { meaningsOf, type CodeOf } from '../errors';

export const CA_ERROR_CODES = meaningsOf('ca');

export type CaErrorCode = CodeOf<'ca'>;
