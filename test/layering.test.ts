/**
 * Imports go one way. Foundation (lib/bytes.ts, lib/errors/, lib/crypto/) imports nothing else of
 * ours; the codecs only foundation; the HSM layer only foundation (nothing of certificates); the
 * CA codec, crypto, audit, database and foundation, never the HSM layer (it declares the keys it
 * needs, lib/ca/keys.ts); only the composition root (lib/runtime) knows both. The command line, the
 * console (app/, and its server side lib/server) and the scripts reach the CA through its service
 * surface (lib/ca/index.ts). The reference HTTP clients (lib/clients) know only bytes, HTTP and (for an
 * issuer's key in its own token) the HSM layer. No product code imports test code. Test code itself
 * may compose any layers.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { forEachNode, isTestCode, parseSource, REPO_ROOT, repositorySources, type SourceFile } from './support/sources';

type Layer = 'foundation' | 'codec' | 'hsm' | 'db' | 'audit' | 'log' | 'ca' | 'caSurface' | 'publication' | 'runtime' | 'server' | 'api' | 'cli' | 'clients' | 'app' | 'entry';

const LAYERS: readonly [RegExp, Layer][] = [
  [/^lib\/(bytes\.ts|errors\/|crypto\/)/, 'foundation'],
  [/^lib\/codec\//, 'codec'],
  [/^hsm\//, 'hsm'],
  [/^lib\/db\//, 'db'],
  [/^lib\/audit\//, 'audit'],
  [/^lib\/log\//, 'log'],
  [/^lib\/ca\/index\.ts$/, 'caSurface'],
  [/^lib\/ca\//, 'ca'],
  [/^lib\/publication\//, 'publication'],
  [/^lib\/runtime\//, 'runtime'],
  [/^lib\/server\//, 'server'],
  [/^lib\/api\//, 'api'],
  [/^lib\/cli\//, 'cli'],
  [/^lib\/clients\//, 'clients'],
  [/^app\//, 'app'],
  [/^(scripts|bin)\//, 'entry'],
];

/** What each layer's product code may import (besides packages). */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  foundation: ['foundation'],
  codec: ['foundation', 'codec'],
  hsm: ['foundation', 'hsm'],
  db: ['foundation', 'db'],
  audit: ['foundation', 'db', 'audit'],
  log: ['foundation', 'audit', 'log'],
  ca: ['foundation', 'codec', 'db', 'audit', 'log', 'ca'],
  caSurface: ['ca'],
  publication: ['foundation', 'codec', 'db', 'audit', 'caSurface', 'publication'],
  runtime: ['foundation', 'db', 'hsm', 'caSurface', 'publication', 'runtime'],
  // The server process's CA (lib/server) and the HTTP API's plumbing (lib/api) reach the CA through its surface.
  server: ['foundation', 'caSurface', 'runtime', 'server'],
  api: ['foundation', 'codec', 'caSurface', 'publication', 'server', 'api'],
  // The reference HTTP clients (an acquirer's TMS, an issuer's CA system) hold no database and no CA: bytes, HTTP and files,
  // and the HSM layer, which knows keys and nothing of certificates, for an issuer's key kept in its own PKCS#11 token.
  clients: ['foundation', 'codec', 'log', 'hsm', 'clients'],
  cli: ['foundation', 'codec', 'db', 'audit', 'log', 'hsm', 'caSurface', 'publication', 'runtime', 'clients', 'cli'],
  app: ['foundation', 'codec', 'db', 'audit', 'log', 'hsm', 'caSurface', 'publication', 'runtime', 'server', 'api', 'app'],
  entry: ['foundation', 'codec', 'db', 'audit', 'log', 'hsm', 'caSurface', 'publication', 'runtime', 'clients', 'cli', 'entry'],
};

const layerOf = (path: string): Layer | undefined => LAYERS.find(([pattern]) => pattern.test(path))?.[1];

/** Module specifiers a file imports: static and dynamic imports, re-exports, `import()` types, require. */
function importsOf(file: SourceFile): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, line: file.ast.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  forEachNode(file, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      add(node.arguments[0]);
    }
  });
  return found;
}

const isFile = (path: string) => existsSync(join(REPO_ROOT, path)) && statSync(join(REPO_ROOT, path)).isFile();

/** The repository file a relative specifier names (as the bundler resolution of tsconfig finds it). */
function resolve(from: string, specifier: string): string {
  const base = normalize(join(dirname(from), specifier)).split('\\').join('/');
  const candidates = [base, ...['.ts', '.tsx', '.mjs', '.cjs', '.js', '.json'].map((ext) => base + ext), `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find(isFile) ?? base;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly imports: string;
  readonly rule: string;
}

export function checkImports(files: readonly SourceFile[]): Violation[] {
  const testCode = new Set(files.filter((f) => isTestCode(f.path)).map((f) => f.path));
  return files
    .filter((f) => !testCode.has(f.path))
    .flatMap((file) => {
      const from = layerOf(file.path);
      return importsOf(file)
        .filter(({ specifier }) => specifier.startsWith('.'))
        .flatMap(({ specifier, line }): Violation[] => {
          const target = resolve(file.path, specifier);
          if (testCode.has(target) || isTestCode(target)) return [{ file: file.path, line, imports: target, rule: 'product code imports no test code' }];
          const to = layerOf(target);
          if (!from || !to || ALLOWED[from].includes(to)) return [];
          return [{ file: file.path, line, imports: target, rule: `${from} may import only ${ALLOWED[from].join(', ')}; not ${to}` }];
        });
    });
}

describe('import layering', () => {
  it('holds in the repository', () => {
    const files = repositorySources();
    // The checker sees the whole tree (an empty scan would pass vacuously).
    expect(files.filter((f) => f.path.startsWith('lib/ca/')).length).toBeGreaterThan(10);
    expect(files.flatMap(importsOf).length).toBeGreaterThan(500);
    expect(checkImports(files)).toEqual([]);
  });

  it.each([
    ['lib/codec/planted.ts', "import { openDatabase } from '../db/client';", 'lib/db/client.ts', 'codec may import only foundation, codec; not db'],
    ['lib/codec/planted.ts', "export { openHsm } from '../../hsm';", 'hsm/index.ts', 'codec may import only foundation, codec; not hsm'],
    ['hsm/planted.ts', "import type { IssuerCertificate } from '../lib/codec';", 'lib/codec/index.ts', 'hsm may import only foundation, hsm; not codec'],
    ['lib/ca/planted.ts', "import type { KeyManager } from '../../hsm/keyManager';", 'hsm/keyManager.ts', 'ca may import only foundation, codec, db, audit, log, ca; not hsm'],
    ['lib/crypto/planted.ts', "const { err } = await import('../codec/structure');", 'lib/codec/structure.ts', 'foundation may import only foundation; not codec'],
    ['app/planted/route.ts', "import { issueCertificate } from '../../lib/ca/issuance';", 'lib/ca/issuance.ts', expect.stringContaining('not ca')],
    ['lib/cli/planted.ts', "type T = import('../ca/requests').RequestView;", 'lib/ca/requests.ts', expect.stringContaining('not ca')],
    ['lib/ca/planted.ts', "import { useTestDatabase } from '../../test/support/databases';", 'test/support/databases.ts', 'product code imports no test code'],
    ['lib/api/planted.ts', "import { createApiToken } from '../ca/apiTokens';", 'lib/ca/apiTokens.ts', expect.stringContaining('not ca')],
    ['lib/codec/planted.ts', "import { expectError } from './testSupport';", 'lib/codec/testSupport.ts', 'product code imports no test code'],
  ])('fails on a planted forbidden import in %s: %s', (path, text, imports, rule) => {
    const violations = checkImports([...repositorySources(), parseSource(path, text)]);
    expect(violations).toEqual([{ file: path, line: 1, imports, rule }]);
  });

  it('lets app/ and the command line use the service surface and the runtime opener', () => {
    const planted = [
      parseSource('app/planted/route.ts', "import { issueCertificate } from '../../lib/ca';\nimport { openCa } from '../../lib/runtime/openCa';"),
      parseSource('lib/cli/planted.ts', "import type { RequestView } from '../ca/index';"),
    ];
    expect(checkImports([...repositorySources(), ...planted])).toEqual([]);
  });
});
