// A second process for the software token's tests: loads the module, runs the steps given as JSON
// in argv[2] and prints one JSON line per step ({ok, value} or {error: 'CKR_…'}). Steps:
//   ["login", pin]                       log the user in on one R/W session
//   ["sign", idHex, mechanism, dataHex]  sign with the private key whose CKA_ID is idHex
//   ["generate", idHex, keyType, keyPairGen]  token key pair with that CKA_ID
//   ["count", idHex]                     number of objects with that CKA_ID
import pkcs11js from 'pkcs11js';

const [, , stepsJson] = process.argv;
const steps = JSON.parse(stepsJson);
const p11 = new pkcs11js.PKCS11();
p11.load(process.env.TQCA_SOFTTOKEN_MODULE);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function privateKey(session, id) {
  p11.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_ID, value: Buffer.from(id, 'hex') },
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
  ]);
  const [key] = p11.C_FindObjects(session, 1);
  p11.C_FindObjectsFinal(session);
  if (!key) throw Object.assign(new Error('no such key'), { message: 'KEY_NOT_FOUND' });
  return key;
}

try {
  p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
} catch (e) {
  out({ error: e.message, code: e.code });
  process.exit(0);
}
let session;
try {
  session = p11.C_OpenSession(p11.C_GetSlotList(false)[0], pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
} catch (e) {
  out({ error: e.message, code: e.code });
  p11.C_Finalize();
  process.exit(0);
}
for (const [op, ...args] of steps) {
  try {
    if (op === 'login') {
      p11.C_Login(session, pkcs11js.CKU_USER, args[0]);
      out({ ok: true });
    } else if (op === 'sign') {
      const [id, mechanism, data] = args;
      p11.C_SignInit(session, { mechanism }, privateKey(session, id));
      out({ ok: true, value: p11.C_Sign(session, Buffer.from(data, 'hex'), Buffer.alloc(72)).toString('hex') });
    } else if (op === 'generate') {
      const [id, keyType, keyPairGen] = args;
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: Buffer.from(id, 'hex') },
        { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      ];
      p11.C_GenerateKeyPair(session, { mechanism: keyPairGen }, common, [...common, { type: pkcs11js.CKA_PRIVATE, value: true }]);
      out({ ok: true });
    } else if (op === 'count') {
      p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: Buffer.from(args[0], 'hex') }]);
      const n = p11.C_FindObjects(session, 100).length;
      p11.C_FindObjectsFinal(session);
      out({ ok: true, value: n });
    } else {
      out({ error: `unknown step ${op}` });
    }
  } catch (e) {
    out({ error: e.message });
  }
}
p11.C_Finalize();
