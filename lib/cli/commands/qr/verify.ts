import { qrCode, verifyQrCode } from '../../../codec';
import { defineCommand, invalid, positional, requiredValue, valid } from '../../command';
import { atOption, MAX_INPUT_BYTES, bytesInput, rootKeyOption, uint32Input } from '../../inputs';
import { certificateView } from '../cert/view';
import { qrView } from './view';

export default defineCommand({
  description: `Verifies a QR code in the terminal's order (TQ-CERT-1 §7, checks 1–6): structure; the certificate
held under --number, verified under --root; not expired and bound to --issuer; the issuer signature
over bytes 8–89; the user signature over bytes 0–160; the authorization expiry and the generation
time ± validity and the default 30 s skew, at --at. Revocation, fare and replay need terminal state
and are not checked here.`,
  options: {
    root: rootKeyOption,
    cert: requiredValue('<cert>', 'the issuer certificate held under --number: hex, @path or -', bytesInput('cert', MAX_INPUT_BYTES.cert)),
    issuer: requiredValue('<8 hex>', 'the issuer id the certificate is bound to', uint32Input('issuer')),
    number: requiredValue('<8 hex>', 'the certificate number the certificate is held under', uint32Input('number')),
    at: atOption('the instant of the scan'),
  },
  positionals: { qr: positional('<qr>', 'the QR code bytes: hex, @path or -', bytesInput('qr', MAX_INPUT_BYTES.qr)) },
  async run({ options, positionals }, context) {
    const at = options.at ?? context.now;
    const decoded = qrCode.decode(positionals.qr);
    if (!decoded.ok) return invalid(decoded.error, { at });
    const body = { at, qr: qrView(decoded.value) };
    const verified = verifyQrCode(decoded.value, {
      rootKey: options.root,
      certificate: options.cert,
      issuerId: options.issuer,
      certificateNumber: options.number,
      at,
    });
    return verified.ok ? valid({ ...body, certificate: certificateView(verified.value.certificate) }) : invalid(verified.error, body);
  },
});
