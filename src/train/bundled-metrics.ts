/**
 * The figures stored in public/models/NAME/metrics.json under `test_subset`, recomputed by the bundled-model
 * test: a fixed, small slice of each held-out set so the check stays fast. Pure (no fs): callers pass texts.
 */
import type { Model } from '../engine/model';
import { heldOutByLanguage, inductionAccuracy } from './evaluate';
import { INDUCTION_CHARS, inductionEvalSet } from './induction-data';
import { POLYGLOT_LANGS } from './text-data';

export const TEST_SUBSET = { polyglotWindows: 16, inductionSequences: 64, inductionSeed: 12345 } as const;

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
