/**
 * Builds the polyglot training data from Debian's fortunes packages (English, German, Spanish, Italian):
 *   npx tsx scripts/data/prepare-polyglot.ts
 * Installs the packages with apt-get when they are missing, splits every file on `%` lines, normalises
 * whitespace, drops entries that are mostly not letters (ASCII art, tables), holds out every 10th entry per
 * language, balances the languages, and writes data/polyglot/{en,de,es,it}.{train,val}.txt (one entry per line)
 * plus data/polyglot/chars.json (the character vocabulary: characters seen at least 25 times in training text).
 */
import { execSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/usr/share/games/fortunes';
const OUT = 'data/polyglot';
const LANGS = ['en', 'de', 'es', 'it'] as const;
const SKIP = /(^|\/)(art|ascii-art|asciiart|banner|translate-me|off)(\.|$)/;
/** Characters of training text per language (train split); keeps the languages balanced and the run an hour. */
const TRAIN_CAP = 900_000;
const VAL_CAP = 60_000;

function ensurePackages(): void {
  // `fortunes` (not just `fortunes-min`, which ships only the file `fortunes`) provides `computers`, `wisdom`, ….
  const need = ['de', 'es', 'it'].some((l) => !existsSync(join(ROOT, l))) || !existsSync(join(ROOT, 'computers'));
  if (!need) return;
  console.error('installing fortunes, fortunes-de, fortunes-es, fortunes-it with apt-get…');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fortunes fortunes-de fortunes-es fortunes-it', { stdio: 'inherit' });
}

function filesOf(lang: (typeof LANGS)[number]): string[] {
  const dir = lang === 'en' ? ROOT : join(ROOT, lang);
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.dat') && !f.endsWith('.u8') && !SKIP.test(f))
    .map((f) => join(dir, f))
    .filter((p) => !lstatSync(p).isSymbolicLink() && lstatSync(p).isFile())
    .sort();
}

function entries(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text
    .split(/\n%\n/)
    .map((e) => e.replace(/\s+/g, ' ').trim())
    .filter((e) => {
      if (e.length < 20 || e.length > 800) return false;
      const letters = (e.match(/\p{L}/gu) ?? []).length;
      return letters / e.length > 0.7 && !/[\u0000-\u0008\uFFFD]/.test(e);
    });
}

ensurePackages();
mkdirSync(OUT, { recursive: true });
const counts = new Map<string, number>();
const summary: string[] = [];
for (const lang of LANGS) {
  const all = filesOf(lang).flatMap(entries);
  const seen = new Set<string>();
  const unique = all.filter((e) => (seen.has(e) ? false : (seen.add(e), true)));
  const train: string[] = [];
  const val: string[] = [];
  let nt = 0;
  let nv = 0;
  unique.forEach((e, i) => {
    if (i % 10 === 9) {
      if (nv < VAL_CAP) (val.push(e), (nv += e.length + 1));
    } else if (nt < TRAIN_CAP) (train.push(e), (nt += e.length + 1));
  });
  for (const e of train) for (const c of e) counts.set(c, (counts.get(c) ?? 0) + 1);
  writeFileSync(join(OUT, `${lang}.train.txt`), train.join('\n') + '\n');
  writeFileSync(join(OUT, `${lang}.val.txt`), val.join('\n') + '\n');
  summary.push(`${lang}: ${unique.length} entries; train ${train.length} (${nt} chars), val ${val.length} (${nv} chars)`);
}
const chars = [...counts.entries()].filter(([, n]) => n >= 25).map(([c]) => c).sort();
if (!chars.includes('\n')) chars.unshift('\n');
writeFileSync(join(OUT, 'chars.json'), JSON.stringify(chars));
console.log(summary.join('\n'));
console.log(`${chars.length} characters in the vocabulary (plus one unknown)`);
