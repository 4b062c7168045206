/** `npm run lint`: checks the layering of src/ (scripts/lint/import-rules.ts); exits 1 with one line per violation. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lintImports } from './import-rules';

function walk(dir: string, out: Map<string, string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(name)) out.set(p, readFileSync(p, 'utf8'));
  }
}

const files = new Map<string, string>();
walk('src', files);
const problems = lintImports(files);
for (const p of problems) console.error(p);
if (problems.length > 0) {
  console.error(`lint: ${problems.length} import rule violation${problems.length > 1 ? 's' : ''}`);
  process.exit(1);
}
console.log(`lint: ${files.size} files follow the import rules`);
