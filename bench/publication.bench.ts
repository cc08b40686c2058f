/**
 * `npm run bench:publication`: one publication at 10,000 certificates (in-memory PGlite, the SM2
 * software token) against its floor measured in the same run on the same token: SM3 over the
 * same body plus two HSM signatures (the A4 and the manifest). A publication here is a
 * revocation's: it reads the CA's state, re-signs the A4, builds the bundle with the client's
 * check against its predecessor (§12.2; new records verified in full, the predecessor's
 * byte-identical ones neither decoded nor verified again), stores it and audits it. Wall-clock,
 * median of the rounds after the first publications. Seeding and rounds: bench/seedCertificates.ts.
 */
import { verifyBundle } from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { unwrap } from '../lib/errors';
import { bundleByVersion } from '../lib/publication';
import { startHarness } from '../test/e2e/harness';
import { measurePublication, PUBLICATION_ROUNDS, seedCertificates } from './seedCertificates';

const CERTIFICATES = Number(process.env.BENCH_CERTIFICATES ?? 10_000);

const h = await startHarness();
console.log(`seeding ${CERTIFICATES} certificates (${2 * CERTIFICATES} HSM signatures)…`);
await seedCertificates(h, CERTIFICATES);
const { first, warmUp, publication, floor, ratio, ratios, latest } = await measurePublication(h);

// A TMS's check of the same bundle from scratch: P as bytes, every A3 decoded and verified.
const root = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x01 } });
const { version } = await h.db.prisma.publishedBundle.findFirstOrThrow({ orderBy: { version: 'desc' } });
const start = performance.now();
const trusted = [{ rootKeyIndex: 1, publicKey: unwrap(sm2.publicKeyFromBytes(root.publicKey)) }];
unwrap(verifyBundle({ bundle: latest, trustedRoots: trusted, previous: unwrap(await bundleByVersion(h.ca, version - 1)), now: new Date() }));
const clientCheck = performance.now() - start;

console.log(`bundle: ${CERTIFICATES} A3 records seeded, ${latest.length} bytes`);
console.log(`publication (revocation)           ${publication.toFixed(1)} ms (median of ${PUBLICATION_ROUNDS}; not counted: the process's first ${first.toFixed(1)} ms, then ${warmUp.map((ms) => ms.toFixed(1)).join(', ')} ms)`);
console.log(`floor: SM3(body) + 2 HSM signatures ${floor.toFixed(1)} ms`);
console.log(`a TMS's check from scratch          ${clientCheck.toFixed(1)} ms (verifyBundle against the predecessor as bytes, without previousVerified)`);
console.log(`ratio publication / floor: ${ratio.toFixed(2)}× (median of the rounds' ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}, each round one of both; target ≤ 2×)`);
await h.close();
