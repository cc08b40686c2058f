/**
 * A separate publishing process for the publication race: its own database connection and
 * PKCS#11 sessions on the shared token; revokes each given certificate and publishes after each,
 * printing one JSON line per publication ({number, version} or {number, unchanged, version} or
 * {number, code}).
 */
import { revokeCertificate } from '../../lib/ca';
import { unwrap } from '../../lib/errors';
import { publish } from '../../lib/publication';
import { openChildCa, type ChildCaSpec } from './childCa';

export interface PublicationChildSpec extends ChildCaSpec {
  readonly revoke: readonly number[];
}

const spec = JSON.parse(process.env.TQCA_PUBLICATION_CHILD ?? '{}') as PublicationChildSpec;
const { ca, officer, close } = await openChildCa(spec, 2);
for (const number of spec.revoke) {
  unwrap(await revokeCertificate(ca, officer, number, 'superseded'));
  const published = await publish(ca, 'revocation');
  process.stdout.write(`${JSON.stringify(published.ok ? { number, ...published.value } : { number, code: published.error.code })}\n`);
}
await close();
