/**
 * The codes the TQ-CERT-1 codecs and terminal verifiers report, with a one-line meaning: the codec
 * layer of the error registry (lib/errors/codes/codec.ts, where a new code is declared).
 */
import { meaningsOf, type CodeOf } from '../errors';

export const CODEC_ERROR_CODES = meaningsOf('codec');

export type CodecErrorCode = CodeOf<'codec'>;
