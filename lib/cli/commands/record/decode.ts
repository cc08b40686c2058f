import { decodeRecord } from '../../../codec';
import { defineCommand, invalid, positional, valid } from '../../command';
import { MAX_INPUT_BYTES, bytesInput } from '../../inputs';
import { recordView } from './view';

export default defineCommand({
  description: `Decodes a record by its first byte: A1 certificate request (161 bytes), A2 root public key
(109 bytes, SM3 check value verified), A3 certificate distribution (184 bytes), A4 revocation list
(80 + 12·N bytes). Structure only: signatures are not verified.`,
  options: {},
  positionals: { record: positional('<record>', 'the record bytes: hex, @path or -', bytesInput('record', MAX_INPUT_BYTES.record)) },
  async run({ positionals }) {
    const decoded = decodeRecord(positionals.record);
    return decoded.ok ? valid({ record: recordView(decoded.value, positionals.record[0]) }) : invalid(decoded.error);
  },
});
