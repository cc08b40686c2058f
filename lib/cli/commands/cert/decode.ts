import { issuerCertificate } from '../../../codec';
import { defineCommand, invalid, positional, valid } from '../../command';
import { MAX_INPUT_BYTES, bytesInput } from '../../inputs';
import { certificateView } from './view';

export default defineCommand({
  description: `Decodes a 106-byte issuer certificate strictly (format 14, BCD expiry, algorithm ids 04 00 11 40,
serial ≠ 000000, X on the curve) and recovers the even Y. Does not check the root signature or the
expiry: use 'tqca cert verify' for that.`,
  options: {},
  positionals: { cert: positional('<cert>', 'the certificate: hex, @path or -', bytesInput('cert', MAX_INPUT_BYTES.cert)) },
  async run({ positionals }) {
    const decoded = issuerCertificate.decode(positionals.cert);
    return decoded.ok ? valid({ certificate: certificateView(decoded.value) }) : invalid(decoded.error);
  },
});
