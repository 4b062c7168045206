/** The next-token distribution clean vs edited: probabilities, the change per token, and the KL divergence. */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import type { AnalysisOptions, Means } from './generate';

export { klDivergence, softmax } from './probability';
import { klDivergence, softmax } from './probability';

export interface TokenChange {
  token: number;
  clean: number;
  edited: number;
  /** edited − clean probability. */
  delta: number;
}

export interface DistributionRequest {
  inputIds: number[];
  edits: Edit[];
  means?: Means;
  /** Position whose next-token distribution is compared (default: the last). */
  position?: number;
  /** How many tokens to list in `changes`, `topClean` and `topEdited` (default 10). */
  top?: number;
}

export interface DistributionResult {
  position: number;
  /** Probabilities over the vocabulary. */
  clean: Float32Array;
  edited: Float32Array;
  /** KL(clean ‖ edited), nats. */
  kl: number;
  /** KL(edited ‖ clean), nats. */
  klReverse: number;
  /** Tokens with the largest |Δp|, largest first. */
  changes: TokenChange[];
  topClean: TokenChange[];
  topEdited: TokenChange[];
}

/** Compares two probability rows; pure, for the worker and tests alike. */
export function compareDistributions(clean: ArrayLike<number>, edited: ArrayLike<number>, top = 10): Omit<DistributionResult, 'position' | 'clean' | 'edited'> {
  const V = clean.length;
  const rows: TokenChange[] = Array.from({ length: V }, (_, token) => ({ token, clean: clean[token], edited: edited[token], delta: edited[token] - clean[token] }));
  const by = (f: (r: TokenChange) => number) => [...rows].sort((a, b) => f(b) - f(a) || a.token - b.token).slice(0, top);
  return {
    kl: klDivergence(clean, edited),
    klReverse: klDivergence(edited, clean),
    changes: by((r) => Math.abs(r.delta)),
    topClean: by((r) => r.clean),
    topEdited: by((r) => r.edited),
  };
}

/** One batched run (clean and edited side by side) and the comparison of their next-token distributions. */
export async function compareNextToken(model: Model, req: DistributionRequest, opts: AnalysisOptions = {}): Promise<DistributionResult> {
  const T = req.inputIds.length;
  const position = req.position === undefined || req.position === -1 ? T - 1 : req.position;
  if (!Number.isInteger(position) || position < 0 || position >= T) fail(`position ${req.position} is outside the prompt (0..${T - 1})`);
  opts.onProgress?.(0, 1);
  const res = await runModel(model, {
    inputIds: [req.inputIds, req.inputIds],
    edits: [[], req.edits],
    means: req.means,
    logits: 'all',
  });
  const V = model.config.vocabSize;
  const row = (b: number) => res.logits!.data.subarray((b * T + position) * V, (b * T + position + 1) * V);
  const p = softmax(row(0));
  const q = softmax(row(1));
  opts.onProgress?.(1, 1);
  return { position, clean: Float32Array.from(p), edited: Float32Array.from(q), ...compareDistributions(p, q, req.top ?? 10) };
}
