/**
 * The repository stands on its own: a user who clones only it finds everything it refers to.
 * No tracked file names the workspace folder the project was built beside; every relative link
 * of the documentation (and each heading it points at) exists; and the worked examples of
 * docs/profile.md §7 are byte for byte the test vectors the codec tests use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHex, toHex } from '../lib/bytes';
import { sm2 } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';
import { unwrap } from '../lib/errors';
import certVector from './support/vectors/tq-cert-1-example.json';
import bundleVector from './support/vectors/tq-bundle-example.json';
import { REPO_ROOT } from './support/sources';

/** Spelt in pieces so that this file does not name them itself. */
const OUTSIDE = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/')];
const SCANNED = ['README.md', 'docs', 'lib', 'hsm', 'app', 'bin', 'scripts', 'test', 'prisma'];

/** Files git tracks or would track (new, not ignored), so a file is checked before its first commit. */
const tracked = (...paths: string[]): string[] =>
  execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...paths], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((p, i, all) => p && all.indexOf(p) === i && existsSync(join(REPO_ROOT, p)));
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const bytes = (hex: string): Uint8Array => unwrap(parseHex(hex));

/** Tracked files (text only) that name a path outside the repository, with the line. */
export function outsideReferences(files: readonly { path: string; text: string }[]): string[] {
  return files.flatMap(({ path, text }) =>
    text.split('\n').flatMap((line, i) => (OUTSIDE.some((o) => line.includes(o)) ? [`${path}:${i + 1}: ${line.trim()}`] : [])),
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const anchorsOf = (markdown: string): Set<string> =>
  new Set([...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, h]) => anchorOf(h.replace(/`/g, ''))));

/** Relative links of a markdown file whose target file (or heading) does not exist. */
export function brokenLinks(path: string, markdown: string, exists = (p: string) => existsSync(join(REPO_ROOT, p))): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].flatMap(([, target]) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return []; // http:, https:, mailto:
    const [file, anchor] = target.split('#');
    const resolved = file ? normalize(join(dirname(path), file)).split('\\').join('/') : path;
    if (resolved.startsWith('..') || !exists(resolved)) return [`${path}: ${target} (no file ${resolved})`];
    if (anchor && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor)) return [`${path}: ${target} (no heading #${anchor})`];
    return [];
  });
}

const isText = (path: string) => {
  const buffer = readFileSync(join(REPO_ROOT, path));
  return !buffer.subarray(0, 8000).includes(0);
};

describe('the repository stands alone', () => {
  it('no tracked file names a folder outside the repository', () => {
    const files = tracked(...SCANNED).filter((p) => statSync(join(REPO_ROOT, p)).isFile() && isText(p));
    expect(files.length).toBeGreaterThan(200);
    expect(outsideReferences(files.map((path) => ({ path, text: read(path) })))).toEqual([]);
  });

  it('the scan finds a planted reference', () => {
    const planted = [{ path: 'docs/planted.md', text: `see\nthe profile in ${OUTSIDE[0]}/profile/x.md` }, { path: 'lib/x.ts', text: `// ${OUTSIDE[1]}/vectors` }];
    expect(outsideReferences(planted)).toEqual([`docs/planted.md:2: the profile in ${OUTSIDE[0]}/profile/x.md`, `lib/x.ts:1: // ${OUTSIDE[1]}/vectors`]);
  });

  it('every relative link of the documentation points at a file (and heading) that exists', () => {
    const docs = tracked('README.md', 'docs', '*.md').filter((p) => p.endsWith('.md'));
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'docs/profile.md', 'docs/architecture.md', 'docs/operators-guide.md']));
    const links = docs.flatMap((p) => [...read(p).matchAll(/\]\(/g)]);
    expect(links.length).toBeGreaterThan(10);
    expect(docs.flatMap((p) => brokenLinks(p, read(p)))).toEqual([]);
  });

  it('the link check finds a missing file, a missing heading and a link out of the repository', () => {
    const text = '[a](architecture.md) [b](missing.md) [c](architecture.md#2-errors) [d](architecture.md#no-such) [e](../../elsewhere.md) [f](https://example.org/x)';
    expect(brokenLinks('docs/x.md', text)).toEqual([
      'docs/x.md: missing.md (no file docs/missing.md)',
      'docs/x.md: architecture.md#no-such (no heading #no-such)',
      'docs/x.md: ../../elsewhere.md (no file ../elsewhere.md)',
    ]);
  });
});

/** The text of one `### n` or `## n` section of docs/profile.md. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}`);
  expect(start, heading).toBeGreaterThan(0);
  const rest = markdown.slice(start + heading.length + 1);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

/**
 * Checks a worked-example table (| Off | `hex` | meaning |) against `data`: each row's bytes
 * start at its offset; a row written `prefix…suffix` ends its field (up to the next row's offset)
 * with the suffix. Returns the number of rows checked.
 */
function checkTable(text: string, data: Uint8Array): number {
  const rows = [...text.matchAll(/^\| (\d+) \| (`([0-9a-f …]+)`|[^|]+) \|/gm)].map(([, off, , hex]) => ({ off: Number(off), hex }));
  rows.forEach(({ off, hex }, i) => {
    if (!hex) return;
    const end = rows[i + 1]?.off ?? data.length;
    const field = toHex(data.subarray(off, end));
    const [prefix, suffix] = hex.replace(/ /g, '').split('…');
    expect(field.startsWith(prefix), `offset ${off}: ${hex}`).toBe(true);
    if (suffix !== undefined) expect(field.endsWith(suffix), `offset ${off}: ${hex}`).toBe(true);
  });
  return rows.filter((r) => r.hex).length;
}

/** The hex of a fenced block whose lines may start with a 3-digit offset; checks each offset. */
function blockHex(text: string, { offsets }: { offsets: boolean }): string {
  const block = /```\n([\s\S]*?)```/.exec(text);
  expect(block).not.toBeNull();
  let hex = '';
  for (const line of block![1].split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((t) => /^[0-9a-f]+$/.test(t));
    if (offsets && /^\d{3} /.test(line)) {
      expect(Number(tokens[0]), line).toBe(hex.length / 2);
      tokens.shift();
    }
    hex += tokens.join('');
  }
  return hex;
}

describe('docs/profile.md §7 is the test vectors', () => {
  const profile = read('docs/profile.md');
  const examples = section(profile, '## 7 Worked examples');

  it('the test keys, Z of the root key and e of M_cert', () => {
    const keys = Object.fromEntries([.../```\n([\s\S]*?)```/.exec(examples)![1].matchAll(/^(\S+(?: \S)?)\s+([0-9a-f]{64})/gm)].map(([, name, hex]) => [name.trim(), hex]));
    expect(keys).toEqual({
      'root d': certVector.root.d,
      'root X': certVector.root.x,
      'root Y': certVector.root.y,
      'issuer d': certVector.issuer.d,
      'issuer X': certVector.issuer.x,
      'issuer Y': certVector.issuer.y,
      Z_root: toHex(sm2.z(sm2.publicKeyFromPrivate(bytes(certVector.root.d)))),
      'e(M_cert)': toHex(sm2.digest(bytes(certVector.m_cert), sm2.publicKeyFromPrivate(bytes(certVector.root.d)))),
      'user d': certVector.user.d,
    });
  });

  it('§7.1 the certificate, field by field (r and s included)', () => {
    const text = section(profile, '### 7.1 Certificate');
    expect(checkTable(text, bytes(certVector.certificate))).toBe(7);
    expect(text).toContain(`M_cert = \`${certVector.m_cert.slice(0, 20)}\``);
  });

  it('§7.2 the QR code, line by line at its offsets', () => {
    expect(blockHex(section(profile, '### 7.2 QR code'), { offsets: true })).toBe(certVector.qr);
  });

  it('§7.3 the A2 record and its check value', () => {
    const hex = blockHex(section(profile, '### 7.3 Root-key record'), { offsets: false });
    expect(hex).toBe(bundleVector.a2);
    expect(hex.slice(-64)).toBe(certVector.root_record_a2.check_value);
    expect(toHex(sm3(bytes(hex).subarray(1, 73)))).toBe(certVector.root_record_a2.check_value);
  });

  it('§7.4 bundles v1 and v2 and the delta: lengths, the v1 table, the v2 entry, the delta header', () => {
    const text = section(profile, '### 7.4 Bundles v1 and v2, and the delta between them');
    const v1 = bytes(bundleVector.v1.bundle);
    const v2 = bytes(bundleVector.v2.bundle);
    const delta = bytes(bundleVector.delta_1_2.delta);
    expect(text).toContain(`**v1** (${v1.length} bytes)`);
    expect(text).toContain(`**v2** (${v2.length} bytes)`);
    expect(text).toContain(`**Delta v1 → v2** (${delta.length} bytes)`);
    expect(checkTable(text, v1)).toBe(7);
    expect(toHex(sm3(v1.subarray(122)))).toBe(bundleVector.v1.body_sm3);

    const entry = /one entry\s+`([0-9a-f ]+)`/.exec(text)![1].replace(/ /g, '');
    expect(toHex(v2.subarray(v2.length - 64 - 12, v2.length - 64))).toBe(entry);
    const header = /the header\s+`([0-9a-f ]+)`/.exec(text)![1].replace(/ /g, '');
    expect(toHex(delta.subarray(122, 122 + header.length / 2))).toBe(header);
  });
});
