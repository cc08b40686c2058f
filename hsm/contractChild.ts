/**
 * Child process of the contract suite: a fresh process (fresh C_Initialize, fresh login) finds a
 * key by label in the token store and signs. Prints {publicKey, signature} or {error}.
 */
import { parseHex, toHex } from '../lib/bytes';
import { TqException, unwrap } from '../lib/errors';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { loadProfile } from './profile';

const request = JSON.parse(process.env.TQCA_CONTRACT_CHILD ?? '{}') as {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  profile: string;
  label: string;
  message: string;
};
try {
  const hsm = unwrap(await openPkcs11KeyManager({ ...request, profile: unwrap(loadProfile(request.profile)), poolSize: 1 }));
  const key = unwrap(await hsm.findKey({ label: request.label }));
  const signature = unwrap(await hsm.sign({ label: request.label }, unwrap(parseHex(request.message))));
  await hsm.close();
  process.stdout.write(JSON.stringify({ publicKey: toHex(key.publicKey), signature: toHex(signature) }));
} catch (e) {
  if (!(e instanceof TqException)) throw e;
  process.stdout.write(JSON.stringify({ error: e.error }));
}
