/**
 * The repository's own TypeScript and JavaScript sources, parsed with the TypeScript compiler, for
 * the tests that check rules over all of them (declared error codes, import layering).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Directories that hold no source of ours: dependencies, build output, data, generated clients. */
const SKIPPED = new Set(['node_modules', '.next', '.data', '.git', 'generated', 'build']);
const SOURCE = /\.(ts|tsx|mjs|cjs)$/;

export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  readonly path: string;
  readonly ast: ts.SourceFile;
}

export function parseSource(path: string, text: string): SourceFile {
  const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : /\.[mc]js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  return { path, ast: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind) };
}

let parsed: SourceFile[] | undefined;

/** Every source file of the repository, parsed (once per process). */
export function repositorySources(): readonly SourceFile[] {
  if (parsed) return parsed;
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push(parseSource(relative(REPO_ROOT, full).split(sep).join('/'), readFileSync(full, 'utf8')));
      }
    }
  };
  walk(REPO_ROOT);
  parsed = files;
  return files;
}

/** Test code: tests, benchmarks, and the support files only they use. Nothing else may import it. */
export const isTestCode = (path: string): boolean =>
  /^(test|bench)\//.test(path) || /\.(test|bench)\.tsx?$/.test(path) || /(^|\/)(test[A-Z]\w*|contract\w*)\.(ts|mjs)$/.test(path) || path === 'hsm/softtoken/bench.ts';

/** Calls `visit` on every node of the file. */
export function forEachNode(file: SourceFile, visit: (node: ts.Node) => void): void {
  const walk = (node: ts.Node) => {
    visit(node);
    ts.forEachChild(node, walk);
  };
  walk(file.ast);
}
