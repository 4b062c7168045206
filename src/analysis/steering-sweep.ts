/**
 * A steering strength sweep: for each α, the prompt's next-token distribution and greedy continuation with α·v
 * added to the residual stream (steeringEdit) on top of the other edits in force. One batched run over every α
 * for the distributions, one batched generation for the continuations.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName } from '../engine/types';
import { editsForWindow, generateBatch, type Means } from './generate';
import { checkCancelled, type AnalysisOptions } from './options';
import { steeringEdit, steeringHook, type ResidPoint } from './steering';
import { MAX_SWEEP_STRENGTHS } from './steering-strengths';

export { MAX_SWEEP_STRENGTHS, sweepStrengths } from './steering-strengths';

export interface SteeringSweepRequest {
  ids: number[];
  layer: number;
  point?: ResidPoint;
  vector: ArrayLike<number>;
  /** Positions the vector is added at (absolute; null = every position, generated tokens included). */
  positions: number[] | null;
  alphas: number[];
  /** The token whose next-token probability is followed. */
  target: number;
  /** Other edits in force, applied before the steering (the edited run of the workbench). */
  edits?: Edit[];
  means?: Means;
  /** Greedy continuation tokens per α (0 = none). */
  maxTokens: number;
}

export interface SteeringSweepRow {
  alpha: number;
  /** p(target), log p(target) and its logit at the prompt's last position. */
  prob: number;
  logprob: number;
  logit: number;
  /** 1 = the most likely token. */
  rank: number;
  /** The most likely next token and its probability. */
  top: { id: number; prob: number };
  /** The greedy continuation's token ids. */
  generated: number[];
}

export interface SteeringSweep {
  hook: HookName;
  target: number;
  vectorNorm: number;
  rows: SteeringSweepRow[];
}

function logSoftmaxAt(row: ArrayLike<number>, t: number): { logprob: number; rank: number; top: { id: number; prob: number }; lse: number } {
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > max) [max, arg] = [row[i], i];
  let sum = 0;
  let above = 0;
  for (let i = 0; i < row.length; i++) {
    sum += Math.exp(row[i] - max);
    if (row[i] > row[t] || (row[i] === row[t] && i < t)) above++;
  }
  const lse = max + Math.log(sum);
  return { logprob: row[t] - lse, rank: above + 1, top: { id: arg, prob: Math.exp(max - lse) }, lse };
}

export async function steeringSweep(model: Model, req: SteeringSweepRequest, opts: AnalysisOptions = {}): Promise<SteeringSweep> {
  const cfg = model.config;
  const T = req.ids.length;
  if (T === 0) fail('the steering sweep needs a prompt of at least one token');
  if (T > cfg.nCtx) fail(`the prompt is ${T} tokens long; the model reads at most ${cfg.nCtx}`);
  if (req.alphas.length === 0) fail('the steering sweep needs at least one strength');
  if (req.alphas.length > MAX_SWEEP_STRENGTHS) fail(`the steering sweep takes at most ${MAX_SWEEP_STRENGTHS} strengths, not ${req.alphas.length}`);
  if (!Number.isInteger(req.target) || req.target < 0 || req.target >= cfg.vocabSize) fail(`target token ${req.target} is not in the vocabulary (0..${cfg.vocabSize - 1})`);
  const hook = steeringHook(cfg, req.layer, req.point);
  const base = req.edits ?? [];
  const sets = req.alphas.map((alpha) => [...base, steeringEdit(cfg, { layer: req.layer, point: req.point, vector: req.vector, alpha, positions: req.positions })]);
  const B = sets.length;
  const V = cfg.vocabSize;
  const rows: SteeringSweepRow[] = [];
  const batch = 16;
  for (let s = 0; s < B; s += batch) {
    checkCancelled(opts);
    await opts.pause?.();
    const chunk = sets.slice(s, s + batch);
    const res = await runModel(model, { inputIds: chunk.map(() => req.ids), edits: chunk.map((e) => editsForWindow(e, 0, T)), means: req.means, logits: 'last' });
    const logits = res.logits!.data;
    chunk.forEach((_, b) => {
      const row = logits.subarray(b * V, (b + 1) * V);
      const r = logSoftmaxAt(row, req.target);
      rows.push({ alpha: req.alphas[s + b], prob: Math.exp(r.logprob), logprob: r.logprob, logit: row[req.target], rank: r.rank, top: r.top, generated: [] });
    });
  }
  if (req.maxTokens > 0) {
    const gen = await generateBatch(model, { prompts: sets.map(() => req.ids), edits: sets, means: req.means, maxTokens: req.maxTokens }, opts);
    gen.generated.forEach((g, i) => (rows[i].generated = g));
  }
  return { hook, target: req.target, vectorNorm: Math.hypot(...Array.from(req.vector)), rows };
}
