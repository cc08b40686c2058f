/**
 * Fixed-length records that end in a 64-byte signature over everything before it (A1, A3):
 * one codec shape, so to-be-signed bytes, encoding and decoding cannot drift apart.
 */
import { Code, type Result } from '../errors';
import { decodeStructure, encodeStructure, FieldWriter, hexByte, type FieldReader } from './structure';

export interface SignedRecordLayout<F, R extends F> {
  readonly structure: string;
  readonly tag: number;
  /** Bytes before the signature. */
  readonly signedLength: number;
  readonly signatureField: string;
  /** Fields after the tag. */
  write(w: FieldWriter, value: F): void;
  read(r: FieldReader): F;
  withSignature(fields: F, signature: Uint8Array): R;
  signatureOf(record: R): Uint8Array;
}

export interface SignedRecordCodec<F, R extends F> {
  readonly tag: number;
  readonly length: number;
  /** The bytes the signature covers. Throws TqException for values the layout cannot hold. */
  toBeSigned(value: F): Uint8Array;
  encode(value: R): Uint8Array;
  decode(bytes: Uint8Array): Result<R>;
}

export function signedRecordCodec<F, R extends F>(layout: SignedRecordLayout<F, R>): SignedRecordCodec<F, R> {
  const length = layout.signedLength + 64;
  const writeSigned = (value: F) => {
    const w = new FieldWriter(layout.structure).byte(layout.tag);
    layout.write(w, value);
    return w;
  };
  return {
    tag: layout.tag,
    length,
    toBeSigned: (value) => encodeStructure(() => writeSigned(value).finish(layout.signedLength)),
    encode: (value) =>
      encodeStructure(() => writeSigned(value).bytes(layout.signatureField, layout.signatureOf(value), 64, Code.SIGNATURE_LENGTH).finish(length)),
    decode: (bytes) =>
      decodeStructure(layout.structure, bytes, length, (r) => {
        r.constant('tag', layout.tag, 'RECORD_TYPE', `${layout.structure} tag (${hexByte(layout.tag)})`);
        const fields = layout.read(r);
        return layout.withSignature(fields, r.raw(64));
      }),
  };
}
