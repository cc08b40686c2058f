/**
 * The parts of sm-crypto 0.5.8 (CommonJS, no bundled types) that tests and benchmarks use as an
 * independent SM2/SM3 implementation. Import the default export only: its ESM named imports fail.
 * Hex strings are lower-case without 0x; byte input may be a string (UTF-8!) or an array-like.
 */
declare module 'sm-crypto' {
  type Bytes = string | ArrayLike<number>;

  interface SignatureOptions {
    /** DER SEQUENCE{r, s} instead of the 128-hex-digit r ‖ s. */
    der?: boolean;
    /** true: sign e = SM3(Z ‖ M), the GM/T signature; false signs the input as e. */
    hash?: boolean;
    /** '04' ‖ X ‖ Y hex; derived from the private key when absent. */
    publicKey?: string;
    /** Signer ID as a UTF-8 string; default '1234567812345678'. */
    userId?: string;
  }

  interface Sm2 {
    getPublicKeyFromPrivateKey(privateKeyHex: string): string;
    doSignature(message: Bytes, privateKeyHex: string, options?: SignatureOptions): string;
    doVerifySignature(
      message: Bytes,
      signatureHex: string,
      publicKeyHex: string,
      options?: Omit<SignatureOptions, 'publicKey'>,
    ): boolean;
  }

  const smCrypto: {
    sm2: Sm2;
    /** SM3 of the input, as 64 hex digits. */
    sm3(input: Bytes): string;
  };
  export default smCrypto;
}
