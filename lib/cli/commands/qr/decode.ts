import { qrCode } from '../../../codec';
import { defineCommand, invalid, positional, valid } from '../../command';
import { MAX_INPUT_BYTES, bytesInput } from '../../inputs';
import { qrView } from './view';

export default defineCommand({
  description: `Decodes a 226-byte QR code strictly (version 80, type and mode, auth lengths 0091/0045, BCD and
ans fields, the user key on the curve, signature format bytes 15). Does not check signatures or
times: use 'tqca qr verify' for that.`,
  options: {},
  positionals: { qr: positional('<qr>', 'the QR code bytes: hex, @path or -', bytesInput('qr', MAX_INPUT_BYTES.qr)) },
  async run({ positionals }) {
    const decoded = qrCode.decode(positionals.qr);
    return decoded.ok ? valid({ qr: qrView(decoded.value) }) : invalid(decoded.error);
  },
});
