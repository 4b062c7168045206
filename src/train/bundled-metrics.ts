/**
 * The figures stored in public/models/NAME/metrics.json under `test_subset`, recomputed by the bundled-model
 * test: a fixed, small slice of each held-out set so the check stays fast. Pure (no fs): callers pass texts.
 */
import { generateBatch, linePrompts, type Sampling } from '../analysis/generate';
import { identifyLanguage, type LanguageId } from '../analysis/language-id';
import type { Model } from '../engine/model';
import { heldOutByLanguage, inductionAccuracy } from './evaluate';
import { INDUCTION_CHARS, inductionEvalSet } from './induction-data';
import { POLYGLOT_LANGS } from './text-data';

export const TEST_SUBSET = { polyglotWindows: 16, languageKeptPrompts: 8, inductionSequences: 64, inductionSeed: 12345 } as const;

/** The language-kept evaluation of the polyglot card (and of its test subset). */
export const LANGUAGE_KEPT = { promptLength: 32, maxTokens: 96, sampling: { temperature: 0.8, seed: 1 }, languageIdChars: 300_000 } as const;

/** Encodes the start of each language's held-out text with the model's own tokenizer. */
export function encodeValPrefix(model: Model, text: string, windows: number): Int32Array {
  if (!model.tokenizer) throw new Error(`model ${model.name} has no tokenizer`);
  const need = windows * (model.config.nCtx + 1);
  return Int32Array.from(model.tokenizer.encode([...text].slice(0, need).join('')));
}

/** Held-out nats/char per language over the first `windows` windows of each val text, plus their mean. */
export async function polyglotMetric(model: Model, valTexts: Record<string, string>, windows: number = TEST_SUBSET.polyglotWindows): Promise<Record<string, number>> {
  const val: Record<string, Int32Array> = {};
  for (const l of POLYGLOT_LANGS) val[l] = encodeValPrefix(model, valTexts[l], windows);
  const out = await heldOutByLanguage(model.weights, model.config, val, windows);
  out.mean = POLYGLOT_LANGS.reduce((s, l) => s + out[l], 0) / POLYGLOT_LANGS.length;
  return out;
}

/** Next-token accuracy on the repeated span and on its first occurrence, over the fixed seeded eval set. */
export async function inductionMetric(model: Model, n: number = TEST_SUBSET.inductionSequences): Promise<{ repeated: number; first: number }> {
  const seqs = inductionEvalSet(n, model.config.nCtx + 1, INDUCTION_CHARS.length, TEST_SUBSET.inductionSeed);
  return inductionAccuracy(model.weights, model.config, seqs);
}

export interface LanguageKeptOptions {
  /** Prompts per language: the starts of the first held-out fortunes long enough. */
  prompts: number;
  /** Prompt length in characters (tokens). */
  promptLength: number;
  /** Characters generated after each prompt. */
  maxTokens: number;
  /** Greedy when absent. */
  sampling?: Sampling;
}

export interface LanguageKept {
  /** Per language (and `mean`): share of continuations identified as the prompt's language. */
  kept: Record<string, number>;
  /** confusion[prompt language][identified language] = count. */
  confusion: Record<string, Record<string, number>>;
}

/**
 * Does a prompt in one language get continued in that language? For each language, prompts cut from the starts of
 * held-out fortunes are continued (greedy, or sampled with a seed) and the continuation alone — without the prompt
 * — is classified by a character-trigram language identifier trained on the training text.
 */
export async function languageKept(model: Model, valTexts: Record<string, string>, languageId: LanguageId, o: LanguageKeptOptions): Promise<LanguageKept> {
  if (!model.tokenizer) throw new Error(`model ${model.name} has no tokenizer`);
  const tok = model.tokenizer;
  const confusion: Record<string, Record<string, number>> = {};
  const kept: Record<string, number> = {};
  for (const l of POLYGLOT_LANGS) {
    const prompts = linePrompts(valTexts[l], (s) => tok.encode(s), o.prompts, o.promptLength);
    const { generated } = await generateBatch(model, { prompts, maxTokens: o.maxTokens, sampling: o.sampling ?? null, seeds: o.sampling ? prompts.map((_, i) => o.sampling!.seed + i) : undefined });
    confusion[l] = {};
    let same = 0;
    for (const g of generated) {
      const guess = identifyLanguage(languageId, tok.decode(g)).lang;
      confusion[l][guess] = (confusion[l][guess] ?? 0) + 1;
      if (guess === l) same++;
    }
    kept[l] = prompts.length ? same / prompts.length : 0;
  }
  kept.mean = POLYGLOT_LANGS.reduce((s, l) => s + kept[l], 0) / POLYGLOT_LANGS.length;
  return { kept, confusion };
}
