/**
 * Writes public/models/NAME/corpus.txt, the reference text the workbench uses for neuron cards (top-activating
 * contexts, histograms) and mean ablation: held-out text for polyglot, repeated random sequences for induction.
 *   npx tsx scripts/data/make-corpus.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { INDUCTION_CHARS, inductionEvalSet } from '../../src/train/induction-data';

const LANGS = ['en', 'de', 'es', 'it'];
const lines: string[] = [];
const per = LANGS.map((l) => readFileSync(`data/polyglot/${l}.val.txt`, 'utf8').split('\n').filter((s) => s.length >= 70));
// Interleave languages so every language is among the first windows.
for (let i = 0; lines.join('\n').length < 24_000; i++) for (const p of per) if (p[i]) lines.push(p[i]);
mkdirSync('public/models/polyglot', { recursive: true });
writeFileSync('public/models/polyglot/corpus.txt', lines.join('\n') + '\n');

const seqs = inductionEvalSet(64, 64, INDUCTION_CHARS.length, 777).map((s) => s.ids.map((i) => INDUCTION_CHARS[i]).join(''));
mkdirSync('public/models/induction', { recursive: true });
writeFileSync('public/models/induction/corpus.txt', seqs.join('\n') + '\n');
console.log(`polyglot: ${lines.length} lines; induction: ${seqs.length} sequences${existsSync('public/models/polyglot/config.json') ? '' : ' (models not trained yet)'}`);
