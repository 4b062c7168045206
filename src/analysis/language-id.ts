/**
 * A character n-gram language identifier: one add-k smoothed n-gram model per language (default trigrams,
 * lower-cased text), and the language whose model gives a text the highest likelihood wins (naive Bayes with a
 * uniform prior). Trained on the polyglot train split; small and fast enough to run in the browser.
 */
import { fail } from '../engine/errors';

export interface LanguageId {
  langs: string[];
  order: number;
  k: number;
  /** Characters seen in training (the alphabet size used by the smoothing). */
  alphabet: number;
  /** Per language: counts of n-grams and of their (n−1)-character contexts. */
  grams: Array<Map<string, number>>;
  contexts: Array<Map<string, number>>;
}

export interface LanguageIdOptions {
  order?: number;
  k?: number;
  /** Use at most this many characters of each training text. */
  maxChars?: number;
}

const prep = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');

export function trainLanguageId(texts: Record<string, string>, opts: LanguageIdOptions = {}): LanguageId {
  const order = opts.order ?? 3;
  const k = opts.k ?? 0.5;
  const langs = Object.keys(texts);
  if (langs.length < 2) fail('a language identifier needs texts in at least two languages');
  const chars = new Set<string>();
  const grams: Array<Map<string, number>> = [];
  const contexts: Array<Map<string, number>> = [];
  for (const l of langs) {
    const text = ' '.repeat(order - 1) + prep(opts.maxChars ? texts[l].slice(0, opts.maxChars) : texts[l]);
    if (text.trim().length === 0) fail(`the training text for "${l}" is empty`);
    const g = new Map<string, number>();
    const c = new Map<string, number>();
    const cps = [...text];
    for (const ch of cps) chars.add(ch);
    for (let i = order - 1; i < cps.length; i++) {
      const ctx = cps.slice(i - order + 1, i).join('');
      const gram = ctx + cps[i];
      g.set(gram, (g.get(gram) ?? 0) + 1);
      c.set(ctx, (c.get(ctx) ?? 0) + 1);
    }
    grams.push(g);
    contexts.push(c);
  }
  return { langs, order, k, alphabet: chars.size + 1, grams, contexts };
}

export interface LanguageGuess {
  lang: string;
  /** Mean log-likelihood per character under each language's model. */
  scores: Record<string, number>;
  /** Best minus second-best mean log-likelihood per character. */
  margin: number;
}

export function identifyLanguage(id: LanguageId, text: string): LanguageGuess {
  const cps = [...(' '.repeat(id.order - 1) + prep(text))];
  const n = cps.length - (id.order - 1);
  const scores: Record<string, number> = {};
  id.langs.forEach((l, li) => {
    let s = 0;
    for (let i = id.order - 1; i < cps.length; i++) {
      const ctx = cps.slice(i - id.order + 1, i).join('');
      const g = id.grams[li].get(ctx + cps[i]) ?? 0;
      const c = id.contexts[li].get(ctx) ?? 0;
      s += Math.log((g + id.k) / (c + id.k * id.alphabet));
    }
    scores[l] = n > 0 ? s / n : 0;
  });
  const ranked = [...id.langs].sort((a, b) => scores[b] - scores[a]);
  return { lang: ranked[0], scores, margin: n > 0 ? scores[ranked[0]] - scores[ranked[1]] : 0 };
}

/** Share of texts identified as their language: `{ text, lang }` pairs → accuracy and per-language counts. */
export function languageIdAccuracy(id: LanguageId, samples: Array<{ text: string; lang: string }>): { accuracy: number; confusion: Record<string, Record<string, number>> } {
  const confusion: Record<string, Record<string, number>> = {};
  let right = 0;
  for (const s of samples) {
    const g = identifyLanguage(id, s.text).lang;
    confusion[s.lang] ??= {};
    confusion[s.lang][g] = (confusion[s.lang][g] ?? 0) + 1;
    if (g === s.lang) right++;
  }
  return { accuracy: samples.length ? right / samples.length : 0, confusion };
}
