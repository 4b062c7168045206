/**
 * The worker's reference text: a model's corpus.txt or a text the user gives, cut and averaged by the one policy of
 * src/analysis/means.ts (the same function every CLI command uses). Pure, so tests check the worker's path against
 * the CLI's.
 */
import { policyJson, referenceMeans, referenceWindows, type Reference } from '../analysis/means';
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import type { HookName } from '../engine/types';
import type { CorpusInfo } from './api';

/** A reference text the user gives (paste, .txt, .jsonl text fields), named as the card and exports show it. */
export function userReference(model: Model, text: string, name: string): Reference {
  return referenceWindows(model, text, name);
}

/** A model's corpus.txt, when it has one that yields windows; null otherwise (mean ablation then waits for a text). */
export function corpusReference(model: Model, text: string | null): Reference | null {
  if (!text) return null;
  try {
    return referenceWindows(model, text, 'corpus.txt');
  } catch {
    return null;
  }
}

/** What the page is told about a reference: its name, size and the policy that cut it. */
export function corpusInfoOf(ref: Reference | null): CorpusInfo | null {
  if (!ref) return null;
  const p = policyJson(ref.policy);
  return { name: p.source, windows: p.windows, tokens: p.tokens, windowTokens: p.window_tokens, rule: p.rule };
}

/** The means for the hooks of `mean` edits over the reference; refused when there is none. */
export async function meansOver(model: Model, hooks: HookName[], ref: Reference | null): Promise<Record<HookName, Float32Array>> {
  if (!ref) fail('mean ablation needs a reference text (this model has no corpus.txt): give one on a neuron card, or use zero instead');
  return referenceMeans(model, hooks, ref);
}
