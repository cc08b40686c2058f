/**
 * A separate issuing process for the concurrency and crash tests: opens its own database
 * connection and PKCS#11 session pool on the shared token, authenticates an officer, and issues
 * the given approved requests with `concurrency` workers. Prints one JSON line per outcome as
 * soon as it has one: {requestId, number, certificate} after T2 committed, or {requestId, code}.
 */
import { issueCertificate } from '../../lib/ca/issuance';
import { openChildCa, type ChildCaSpec } from './childCa';

export interface IssuanceChildSpec extends ChildCaSpec {
  readonly requestIds: readonly number[];
  readonly concurrency: number;
}

const spec = JSON.parse(process.env.TQCA_ISSUANCE_CHILD ?? '{}') as IssuanceChildSpec;
const { ca, officer, close } = await openChildCa(spec, spec.concurrency);

const queue = [...spec.requestIds];
async function worker(): Promise<void> {
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const issued = await issueCertificate(ca, officer, id);
    const line = issued.ok ? { requestId: id, number: issued.value.number, certificate: issued.value.certificate } : { requestId: id, code: issued.error.code };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
await Promise.all(Array.from({ length: spec.concurrency }, worker));
await close();
process.stdout.write('{"done":true}\n');
