import { issuerCertificate, verifyIssuerCertificate } from '../../../codec';
import { defineCommand, invalid, positional, valid } from '../../command';
import { atOption, MAX_INPUT_BYTES, bytesInput, rootKeyOption } from '../../inputs';
import { certificateView } from './view';

export default defineCommand({
  description: `Verifies an issuer certificate as a terminal does (TQ-CERT-1 §2): structure, even-Y recovery,
the root signature over M_cert (signer ID 1234567812345678), then expiry (end of the month, CST) at --at.`,
  options: {
    root: rootKeyOption,
    at: atOption('the instant to check expiry at'),
  },
  positionals: { cert: positional('<cert>', 'the certificate: hex, @path or -', bytesInput('cert', MAX_INPUT_BYTES.cert)) },
  async run({ options, positionals }, context) {
    const at = options.at ?? context.now;
    const decoded = issuerCertificate.decode(positionals.cert);
    if (!decoded.ok) return invalid(decoded.error, { at });
    const body = { at, certificate: certificateView(decoded.value) };
    const verified = verifyIssuerCertificate(decoded.value, options.root, at);
    return verified.ok ? valid(body) : invalid(verified.error, body);
  },
});
