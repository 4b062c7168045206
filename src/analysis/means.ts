/**
 * The one mean-activation policy. Every mean behind a `mean` edit or ablation, in the worker (a model's corpus.txt or a
 * reference text the user gives) and in every CLI command (`--reference FILE`, else the model folder's corpus.txt), and
 * the contexts and histograms of neuron cards, come from the windows `referenceWindows` cuts; `referenceMeans` averages
 * over them. What was used is recorded with `ReferencePolicy` (CLI outputs, the workbench's exports and card).
 *
 * The policy: the text with CRLF line ends read as LF; each non-empty line tokenized on its own (no window spans a
 * line break: some tokenizers have no newline token), or, for a model without a tokenizer, read as comma- or
 * space-separated ids; each line cut into consecutive windows of min(64, n_ctx) tokens, a line's last piece kept
 * whatever its length; at most 64 windows, the first ones in the text. Every token of every window is averaged, each
 * token with the same weight (vectors.ts `hookMeans`, cached per model and text).
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import type { HookName } from '../engine/types';
import type { AnalysisOptions } from './options';
import { hookMeans } from './vectors';

/** Windows kept from a reference text. */
export const REFERENCE_MAX_WINDOWS = 64;
/** Tokens per window for a model with `nCtx` positions. */
export const referenceWindowTokens = (nCtx: number) => Math.min(64, nCtx);
/** The policy in words, as outputs record it. */
export const REFERENCE_RULE = `each non-empty line tokenized on its own, cut into windows of min(64, n_ctx) tokens (a line's last piece kept), the first ${REFERENCE_MAX_WINDOWS} windows; every token averaged with equal weight`;

/** What a set of means was computed from: recorded in outputs. */
export interface ReferencePolicy {
  /** Where the text came from: a file path, `corpus.txt`, a file name the user gave, `pasted text`. */
  source: string;
  windows: number;
  tokens: number;
  /** The window length (min(64, n_ctx)). */
  windowTokens: number;
  rule: string;
}

/** A reference text cut into windows by the policy, with its record. */
export interface Reference {
  windows: number[][];
  policy: ReferencePolicy;
}

/** The windows of a reference text, by the policy above. Refuses a text that gives none, or ids outside the vocabulary. */
export function referenceWindows(model: Model, text: string, source = 'reference text', size = referenceWindowTokens(model.config.nCtx), max = REFERENCE_MAX_WINDOWS): Reference {
  const windows: number[][] = [];
  for (const line of text.split('\n')) {
    if (windows.length >= max) break;
    const l = line.replace(/\r$/, '');
    if (l.trim() === '') continue;
    const ids = model.tokenizer ? model.tokenizer.encode(l) : l.split(/[\s,]+/).filter((s) => s !== '').map(Number);
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= model.config.vocabSize) fail(`${source}: token id ${id} is outside the vocabulary (0..${model.config.vocabSize - 1})`);
    for (let i = 0; i < ids.length && windows.length < max; i += size) windows.push(ids.slice(i, i + size));
  }
  if (windows.length === 0) fail(`${source}: the reference text is empty (no line holds a token)`);
  const tokens = windows.reduce((s, w) => s + w.length, 0);
  return { windows, policy: { source, windows: windows.length, tokens, windowTokens: size, rule: REFERENCE_RULE } };
}

/** Per hook, the mean activation per feature over a reference (what `mean` edits and ablations use). */
export async function referenceMeans(model: Model, hooks: HookName[], ref: Reference | string, opts: AnalysisOptions = {}): Promise<Record<HookName, Float32Array>> {
  const { windows } = typeof ref === 'string' ? referenceWindows(model, ref) : ref;
  return hookMeans(model, hooks, windows, opts);
}

/** The record of a reference in an output's snake_case JSON (CLI `means_policy`, workbench exports). */
export function policyJson(p: ReferencePolicy): { source: string; windows: number; tokens: number; window_tokens: number; rule: string } {
  return { source: p.source, windows: p.windows, tokens: p.tokens, window_tokens: p.windowTokens, rule: p.rule };
}
