/**
 * The layering of src/, checked from the import statements (run by `npm run lint`, part of `npm test`):
 * - each folder imports only the folders its rule lists;
 * - nothing the main thread loads (app, store, views, session) reaches tfjs, even through other modules: tfjs runs in
 *   the worker only;
 * - Node built-ins only in src/cli and in engine files named node-*.ts or *-node.ts.
 * Type-only imports (`import type`) carry no code and count only for the folder rule.
 */
import { dirname, join, normalize } from 'node:path';

/** Folder → the folders it may import from (its own always). */
export const FOLDER_RULES: Record<string, string[]> = {
  engine: [],
  analysis: ['engine'],
  train: ['analysis', 'engine'],
  worker: ['analysis', 'engine'],
  session: ['engine', 'analysis'],
  store: ['session', 'engine', 'analysis', 'worker'],
  views: ['engine', 'analysis'],
  app: ['store', 'views', 'session', 'worker', 'engine', 'analysis'],
  cli: ['analysis', 'engine', 'train'],
};
const MAIN_THREAD = ['app', 'store', 'views', 'session'];
const TFJS = /^@tensorflow\//;

interface Import {
  spec: string;
  typeOnly: boolean;
}

export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (m[4]) out.push({ spec: m[4], typeOnly: false });
    else out.push({ spec: m[3], typeOnly: !!m[2] });
  }
  return out;
}

const folderOf = (file: string) => file.split('/')[1];

/** Resolves a relative import of `file` to a key of `files` (src/... without extension). */
function resolve(file: string, spec: string, files: Map<string, string>): string | null {
  const base = normalize(join(dirname(file), spec));
  for (const ext of ['', '.ts', '.tsx', '/index.ts']) if (files.has(base + ext)) return base + ext;
  return null;
}

/** Every violation, one line each (empty when the layering holds). `files`: path under src/ → source text. */
export function lintImports(files: Map<string, string>): string[] {
  const problems: string[] = [];
  const parsed = new Map([...files].map(([f, s]) => [f, importsOf(s)] as const));
  for (const [file, imports] of parsed) {
    const folder = folderOf(file);
    const allowed = FOLDER_RULES[folder];
    for (const imp of imports) {
      if (imp.spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'crypto'].includes(imp.spec)) {
        const nodeOk = folder === 'cli' || (folder === 'engine' && /(^|\/)node-[^/]*$|-node\.ts$/.test(file));
        if (!nodeOk && !imp.typeOnly) problems.push(`${file}: imports the Node built-in "${imp.spec}" (only src/cli and engine files named node-*.ts or *-node.ts may)`);
        continue;
      }
      if (!imp.spec.startsWith('.')) continue;
      const target = resolve(file, imp.spec, files);
      if (!target) continue;
      const to = folderOf(target);
      if (allowed && to !== folder && !allowed.includes(to)) problems.push(`${file}: imports ${target} (src/${folder} may import only ${[folder, ...allowed].map((f) => `src/${f}`).join(', ')})`);
    }
  }
  // Main-thread modules must not reach tfjs through any chain of value imports.
  const reachesTfjs = new Map<string, string[] | null>();
  const chain = (file: string, seen: Set<string>): string[] | null => {
    if (reachesTfjs.has(file)) return reachesTfjs.get(file)!;
    if (seen.has(file)) return null;
    seen.add(file);
    let found: string[] | null = null;
    for (const imp of parsed.get(file) ?? []) {
      if (imp.typeOnly) continue;
      if (TFJS.test(imp.spec)) found = [file, imp.spec];
      else if (imp.spec.startsWith('.')) {
        const t = resolve(file, imp.spec, files);
        // A worker started with `new Worker(new URL(...))` is not imported; a `?worker` import is its own bundle.
        const sub = t && !/\.worker\.ts$/.test(t) ? chain(t, seen) : null;
        if (sub) found = [file, ...sub];
      }
      if (found) break;
    }
    reachesTfjs.set(file, found);
    return found;
  };
  for (const file of parsed.keys()) {
    if (!MAIN_THREAD.includes(folderOf(file))) continue;
    const c = chain(file, new Set());
    if (c) problems.push(`${file}: loads tfjs on the main thread through ${c.join(' → ')}`);
  }
  return problems;
}
