/**
 * The registry is the only place codes are declared: every code has a category and both meanings,
 * no code is declared twice, every code any source emits is declared, and the README code tables
 * show the registered meanings.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { forEachNode, isTestCode, REPO_ROOT, repositorySources, type SourceFile } from '../../test/support/sources';
import { refuse } from '../ca/transaction';
import { Code, ERROR_DEFINITIONS, err, errorDefinition, isErrorCode, meaningsOf, type Layer, type TqError } from './index';

const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;
/** Helpers whose string arguments include the code they report. */
const EMITTERS = new Set(['err', 'refuse', 'fail', 'problem', 'cliError', 'hsmFail', 'constant', 'bytes']);

/** Code literals a file emits or compares: helper arguments, `{ code, message }` literals, `x.code === '…'`. */
export function emittedCodes(file: SourceFile): { code: string; line: number }[] {
  const found: { code: string; line: number }[] = [];
  const add = (node: ts.Node) => {
    if (ts.isStringLiteralLike(node) && CODE.test(node.text)) {
      found.push({ code: node.text, line: file.ast.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  forEachNode(file, (node) => {
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (ts.isIdentifier(callee) && EMITTERS.has(callee.text)) node.arguments.forEach(add);
    } else if (ts.isObjectLiteralExpression(node)) {
      const property = (name: string) =>
        node.properties.find((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && ts.isIdentifier(p.name) && p.name.text === name);
      const code = property('code');
      if (code && property('message') && ts.isPropertyAssignment(code)) add(code.initializer);
    } else if (ts.isBinaryExpression(node) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(node.operatorToken.kind)) {
      const isCode = (side: ts.Expression) => ts.isPropertyAccessExpression(side) && side.name.text === 'code';
      // Node's errno codes (EEXIST, EPIPE) are compared as `.code` too; none of ours looks like one.
      const ours = (side: ts.Expression) => !(ts.isStringLiteralLike(side) && /^E[A-Z]+$/.test(side.text));
      if (isCode(node.left) && ours(node.right)) add(node.right);
      if (isCode(node.right) && ours(node.left)) add(node.left);
    }
  });
  return found;
}

describe('the error registry', () => {
  it('lists every code with its layer and category', async () => {
    const width = Math.max(...ERROR_DEFINITIONS.map((d) => d.code.length));
    const table = ERROR_DEFINITIONS.map((d) => `${d.code.padEnd(width)}  ${d.layer.padEnd(10)}  ${d.category}`).join('\n');
    await expect(`${table}\n`).toMatchFileSnapshot('./__snapshots__/codes.txt');
  });

  it('declares each code once, upper-snake, with an English and a Chinese meaning', () => {
    const codes = ERROR_DEFINITIONS.map((d) => d.code);
    expect(codes.filter((code, i) => codes.indexOf(code) !== i)).toEqual([]);
    for (const d of ERROR_DEFINITIONS) {
      expect(d.code, d.code).toMatch(CODE);
      expect(d.en.trim(), d.code).not.toBe('');
      expect(d.zh, d.code).toMatch(/[\u4e00-\u9fff]/);
      expect(Code[d.code]).toBe(d.code);
    }
  });

  it('finds no code emitted anywhere in the sources that is not declared', () => {
    const emitted = repositorySources()
      // This file misspells codes on purpose, for tsc.
      .filter((f) => !f.path.startsWith('lib/errors/codes/') && f.path !== 'lib/errors/registry.test.ts')
      .flatMap((f) => emittedCodes(f).map((e) => ({ ...e, path: f.path })));
    // The scan sees the codes of every layer (a broken scan finds nothing and would pass).
    const layers = new Set(emitted.filter((e) => isErrorCode(e.code)).map((e) => errorDefinition(e.code as never).layer));
    expect([...layers].sort()).toEqual(['api', 'audit', 'ca', 'cli', 'client', 'codec', 'crypto', 'db', 'foundation', 'hsm', 'server']);
    expect(emitted.filter((e) => !isErrorCode(e.code)).map((e) => `${e.path}:${e.line} ${e.code}`)).toEqual([]);
  });

  it('has product code name another layer’s codes by their typed constant (Code.X), not a string literal', () => {
    const LAYER_OF_PATH: readonly [RegExp, Layer][] = [
      [/^lib\/bytes\.ts$/, 'foundation'],
      [/^lib\/crypto\//, 'crypto'],
      [/^lib\/codec\//, 'codec'],
      [/^hsm\//, 'hsm'],
      [/^lib\/db\//, 'db'],
      [/^lib\/audit\//, 'audit'],
      [/^lib\/(ca|runtime)\//, 'ca'],
      [/^(lib\/cli|bin)\//, 'cli'],
      [/^(lib\/server|app)\//, 'server'],
      [/^lib\/clients\//, 'client'],
    ];
    const crossing = repositorySources()
      .filter((f) => !isTestCode(f.path))
      .flatMap((f) => {
        const layer = LAYER_OF_PATH.find(([pattern]) => pattern.test(f.path))?.[1];
        return emittedCodes(f)
          .filter((e) => layer && isErrorCode(e.code) && errorDefinition(e.code).layer !== layer)
          .map((e) => `${f.path}:${e.line} ${e.code}`);
      });
    expect(crossing).toEqual([]);
  });

  it('the scan catches an undeclared code in each position it reads', () => {
    const planted = (text: string) => emittedCodes({ path: 'x.ts', ast: ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true) }).map((e) => e.code);
    expect(planted(`err('NO_SUCH_CODE', 'm'); refuse('NOT_DECLARED', 'm');`)).toEqual(['NO_SUCH_CODE', 'NOT_DECLARED']);
    expect(planted(`const e = { code: 'MADE_UP', message: 'm' }; if (r.error.code === 'ALSO_MADE_UP') {}`)).toEqual(['MADE_UP', 'ALSO_MADE_UP']);
    expect(planted(`process.emitWarning('w', { code: 'TQCA_WARNING' }); parseHex(text, 'TQCA_CENTER_ID'); e.code === 'EEXIST';`)).toEqual([]);
  });

  it('a misspelt or undeclared code is a type error (tsc --noEmit checks the expectations below)', () => {
    // @ts-expect-error CERT_FROMAT is not a declared code
    const misspelt = err('CERT_FROMAT', 'format byte');
    // @ts-expect-error a TqError literal is checked too
    const literal: TqError = { code: 'HSM_KEY_NOTFOUND', message: 'no key' };
    // @ts-expect-error and so is every layer's helper
    expect(() => refuse('REQUEST_STAT', 'no')).toThrow();
    expect([misspelt.error.code, literal.code].filter(isErrorCode)).toEqual([]);
  });
});

describe('README code tables', () => {
  /** READMEs that document a layer's codes: each lists every code of its layers (and may list codes passing through). */
  const DOCUMENTED: Record<string, Layer> = { 'lib/codec/README.md': 'codec', 'lib/ca/README.md': 'ca' };

  const rows = (path: string) =>
    [...readFileSync(`${REPO_ROOT}${path}`, 'utf8').matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (.+) \|$/gm)].map(([, code, meaning]) => ({ code, meaning }));

  it.each(Object.entries(DOCUMENTED))('%s lists every %s code', (path, layer) => {
    const listed = new Set(rows(path).map((r) => r.code));
    expect(Object.keys(meaningsOf(layer)).filter((code) => !listed.has(code))).toEqual([]);
  });

  it('every README row that names a declared code shows its registered English meaning', () => {
    const readmes = repositoryReadmes();
    expect(readmes).toEqual(expect.arrayContaining(Object.keys(DOCUMENTED)));
    const wrong = readmes.flatMap((path) =>
      rows(path)
        .filter((r) => isErrorCode(r.code) && errorDefinition(r.code).en !== r.meaning)
        .map((r) => `${path} ${r.code}: "${r.meaning}" ≠ "${errorDefinition(r.code as never).en}"`),
    );
    expect(wrong).toEqual([]);
  });
});

function repositoryReadmes(): string[] {
  const paths = new Set(repositorySources().map((f) => f.path.replace(/[^/]*$/, 'README.md')));
  return [...paths, 'README.md'].filter((p, i, all) => all.indexOf(p) === i && exists(p));
}

function exists(path: string): boolean {
  try {
    readFileSync(`${REPO_ROOT}${path}`);
    return true;
  } catch {
    return false;
  }
}
