/**
 * Mean activations over a reference text, for mean ablation: the text is cut into windows (as the worker does with
 * a model's corpus.txt) and each hook's mean per feature is taken over every token (vectors.ts `hookMeans`,
 * cached per model).
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import type { HookName } from '../engine/types';
import type { AnalysisOptions } from './options';
import { hookMeans } from './vectors';

/**
 * Token windows of a reference text: each non-empty line is tokenized (or, for a model without a tokenizer, read
 * as comma- or space-separated ids) and cut into windows of `size` tokens (default min(64, n_ctx)); lines shorter
 * than a window give one shorter window. At most `max` windows (default 64).
 */
export function referenceWindows(model: Model, text: string, size = Math.min(64, model.config.nCtx), max = 64): number[][] {
  const out: number[][] = [];
  for (const line of text.split('\n')) {
    if (out.length >= max) break;
    const l = line.replace(/\r$/, '');
    if (l.trim() === '') continue;
    const ids = model.tokenizer ? model.tokenizer.encode(l) : l.split(/[\s,]+/).filter((s) => s !== '').map(Number);
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= model.config.vocabSize) fail(`reference text: token id ${id} is outside the vocabulary`);
    for (let i = 0; i < ids.length && out.length < max; i += size) out.push(ids.slice(i, i + size));
  }
  if (out.length === 0) fail('the reference text is empty');
  return out;
}

/** Per hook, the mean activation per feature over a reference text (what `mean` edits and ablations use). */
export async function referenceMeans(model: Model, hooks: HookName[], text: string | number[][], opts: AnalysisOptions = {}): Promise<Record<HookName, Float32Array>> {
  const windows = typeof text === 'string' ? referenceWindows(model, text) : text;
  return hookMeans(model, hooks, windows, opts);
}
