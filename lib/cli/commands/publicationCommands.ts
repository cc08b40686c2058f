/** `tqca bundle publish|list|show`: the CA's published versions (lib/publication), against the configured CA. */
import { toHex } from '../../bytes';
import { decodeBundle } from '../../codec';
import { ok, unwrap } from '../../errors';
import { bundleByVersion, listBundles, publishAsOperator } from '../../publication';
import { defineCommand, invalid, valid, value } from '../command';
import { cliError } from '../errorCodes';
import { publicationPolicyFrom } from '../../runtime/openCa';
import { writeAtomically } from './bundleCommands';
import { asOperator, details, idPositional, listing } from './caSession';

export const publish = defineCommand({
  description: `Publishes the next bundle version now (an officer or administrator; audited as bundle.published).
When nothing changed and the current version is not near its expiry, answers that version unchanged.`,
  options: {},
  positionals: {},
  run: () =>
    asOperator(
      async (ca, operator) => {
        const policy = publicationPolicyFrom(process.env);
        if (!policy.ok) return invalid(policy.error);
        const published = await publishAsOperator(ca, operator, policy.value);
        if (!published.ok) return invalid(published.error);
        const { version, unchanged } = published.value;
        return { ...valid({ version, unchanged: unchanged ?? false }), text: unchanged ? `unchanged: version ${version}\n` : `published version ${version}\n` };
      },
      { signs: true },
    ),
});

export const list = defineCommand({
  description: 'Lists the published versions, oldest first.',
  options: {},
  positionals: {},
  run: () =>
    asOperator(async (ca) =>
      listing(await listBundles(ca), 'bundles', [
        ['version', (b) => b.version],
        ['published', (b) => b.publishedAt.toISOString()],
        ['expires', (b) => b.expiresAt.toISOString()],
        ['root', (b) => b.signingRootIndex.toString(16).padStart(2, '0')],
        ['A2', (b) => b.a2Count],
        ['A3', (b) => b.a3Count],
        ['A4 seq', (b) => b.a4Sequence],
        ['bytes', (b) => b.size],
        ['reason', (b) => b.reason],
      ]),
    ),
});

export const show = defineCommand({
  description: 'Shows one published version (its manifest) and, with --out, writes its bytes to a file.',
  options: {
    out: value('<file>', 'where to write the bundle (binary)', (text) => (text.length > 0 ? ok(text) : cliError('USAGE', '--out needs a file name', { field: 'out' }))),
  },
  positionals: { version: idPositional('<version>', 'the bundle version') },
  run: ({ options, positionals }) =>
    asOperator(async (ca) => {
      const bytes = await bundleByVersion(ca, positionals.version);
      if (!bytes.ok) return invalid(bytes.error);
      if (options.out) {
        const written = await writeAtomically(options.out, bytes.value);
        if (!written.ok) return invalid(written.error);
      }
      // Stored versions were verified before they were stored; decoding cannot fail.
      const { manifest } = unwrap(decodeBundle(bytes.value));
      const view = {
        version: manifest.version,
        signingRootIndex: manifest.rootKeyIndex.toString(16).padStart(2, '0'),
        publicationTime: new Date(manifest.publicationTime * 1000),
        expires: new Date(manifest.expires * 1000),
        a2Count: manifest.a2Count,
        a3Count: manifest.a3Count,
        a4Sequence: manifest.revocationSequenceNumber,
        bodySm3: toHex(manifest.bodyDigest),
        length: bytes.value.length,
        ...(options.out ? { out: options.out } : {}),
      };
      return { ...valid({ bundle: view }), text: details(view) };
    }),
});
