/**
 * bundleDiff on bundles made by the codec's builder (every client check run, manifests signed by
 * software root keys): a rollover from key 01 to key 02 over four versions, where each version
 * makes the changes of one or more kinds and the diff must name exactly those.
 */
import { describe, expect, it } from 'vitest';
import { sm2 } from '../crypto/sm2';
import { buildBundle, decodeBundle, type Bundle, type RevocationEntry } from '../codec';
import { ok, unwrap } from '../errors';
import { a2, a3, a4, unix } from '../codec/testBundles';
import { hex, keyPair, rootKeys, type KeyPair } from '../codec/testSupport';
import { countChanges, diffBundles } from './bundleDiff';

const second = keyPair(hex('0c7f4b6a7e34e5bd6fbbd9bf48d1e57bdb3e2b0c1d5ef5e0a8d2b5c6f1f2e3d4'));
const DAY = 86_400;
const T0 = unix('2026-12-01T00:00:00Z');
const revoked = (certificateNumber: number): RevocationEntry => ({ certificateNumber, issuerId: 0x1001, serial: certificateNumber, reason: 'keyCompromise' });

async function build(version: number, signer: [KeyPair, number], rootKeys: Uint8Array[], certificates: Uint8Array[], list: Uint8Array, previous?: Bundle): Promise<Bundle> {
  const [key, index] = signer;
  const publicationTime = T0 + (version - 1) * DAY;
  return unwrap(
    await buildBundle(
      { manifest: { rootKeyIndex: index, clearingCenterId: 1, version, publicationTime, expires: publicationTime + 6 * DAY }, rootKeys, certificates, revocationList: list, previous },
      async (m) => ok(sm2.sign(m, key.d)),
    ),
  );
}

const cert = (certificateNumber: number, root: KeyPair = rootKeys, rootKeyIndex = 1) => a3({ root, rootKeyIndex, certificateNumber });

describe('diffBundles', () => {
  it('names every kind of change across a root-key rollover', async () => {
    const root1 = a2(rootKeys, 1);
    const root2 = a2(second, 2);
    const v1 = await build(1, [rootKeys, 1], [root1], [cert(1), cert(2)], a4(rootKeys, 1, 1, T0, T0 + 7 * DAY));
    expect(diffBundles(null, v1)).toEqual([
      { kind: 'certificate-added', subject: '00000001' },
      { kind: 'certificate-added', subject: '00000002' },
      { kind: 'root-added', subject: '01' },
    ]);

    // Certificate 2 revoked (it leaves A3, enters A4), certificate 3 issued, key 02 announced.
    const v2 = await build(2, [rootKeys, 1], [root1, root2], [cert(1), cert(3)], a4(rootKeys, 1, 2, T0 + DAY, T0 + 8 * DAY, [revoked(2)]), v1);
    expect(diffBundles(v1, v2)).toEqual([
      { kind: 'certificate-added', subject: '00000003' },
      { kind: 'certificate-removed', subject: '00000002' },
      { kind: 'revocation-added', subject: '00000002' },
      { kind: 'root-added', subject: '02' },
    ]);

    // Key 02 signs: it becomes active, 01 retiring; the revocation of 2 is dropped (as once it expires).
    const v3 = await build(3, [second, 2], [root1, root2], [cert(1), cert(3), cert(4, second, 2)], a4(second, 2, 3, T0 + 2 * DAY, T0 + 9 * DAY), v2);
    expect(diffBundles(v2, v3)).toEqual([
      { kind: 'certificate-added', subject: '00000004' },
      { kind: 'revocation-removed', subject: '00000002' },
      { kind: 'root-changed', subject: '01', record: false, role: { from: 'active', to: 'retiring' } },
      { kind: 'root-changed', subject: '02', record: false, role: { from: 'announced', to: 'active' } },
    ]);

    // Key 01 leaves with its certificates; key 02's record is re-issued with a later expiry.
    const longer = a2(second, 2, 1, { year: 2032, month: 6, day: 30 });
    const v4 = await build(4, [second, 2], [longer], [cert(4, second, 2)], a4(second, 2, 3, T0 + 2 * DAY, T0 + 9 * DAY), v3);
    const changes = diffBundles(v3, v4);
    expect(changes).toEqual([
      { kind: 'certificate-removed', subject: '00000001' },
      { kind: 'certificate-removed', subject: '00000003' },
      { kind: 'root-removed', subject: '01' },
      { kind: 'root-changed', subject: '02', record: true },
    ]);
    expect(countChanges(changes)).toMatchObject({ 'certificate-removed': 2, 'root-removed': 1, 'root-changed': 1, 'certificate-added': 0 });
  });

  it('finds nothing between a bundle and its own bytes decoded again', async () => {
    const v1 = await build(1, [rootKeys, 1], [a2(rootKeys, 1)], [cert(1)], a4(rootKeys, 1, 1, T0, T0 + 7 * DAY, [revoked(9)]));
    expect(diffBundles(v1, unwrap(decodeBundle(v1.bytes)))).toEqual([]);
  });
});
