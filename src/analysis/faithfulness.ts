/**
 * The NeuronPath manipulation experiment: over prompts, remove (×0) or enhance (×2) the neurons of a path at its
 * positions and measure the change of the target token's probability, for NeuronPath and the three baselines
 * (activation path, per-layer IG path, random path).
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import { checkCancelled, type AnalysisOptions } from './options';
import { findPath, type PathNode } from './path';
import { argmaxAt, softmaxAt, type TargetKind } from './targets';

export const PATH_METHODS = ['neuronpath', 'activation', 'layer_ig', 'random'] as const;
export type PathMethod = (typeof PATH_METHODS)[number];
export const MANIPULATIONS = { remove: 0, enhance: 2 } as const;
export type Manipulation = keyof typeof MANIPULATIONS;

export interface FaithfulnessPrompt {
  ids: number[];
  /** The target token; default the model's own top-1 next token. */
  token?: number;
}

export interface FaithfulnessOptions extends AnalysisOptions {
  steps?: number;
  seed?: number;
  /** What the path search attributes: the target's logit (default) or its log-probability. */
  targetKind?: Extract<TargetKind, 'logit' | 'logprob'>;
  /** NeuronPath's joint attribution: layer-scaled (default) or exact (see PathRequest.joint). */
  joint?: 'layer' | 'exact';
}

export interface FaithfulnessRow {
  prompt: number;
  token: number;
  pClean: number;
  /** Node ids of each method's path. */
  paths?: Record<PathMethod, string[]>;
  /** Probability change of the target token (p_edited − p_clean), per method and manipulation. */
  delta: Record<PathMethod, Record<Manipulation, number>>;
}

export interface FaithfulnessSummary {
  method: PathMethod;
  manipulation: Manipulation;
  mean: number;
  sd: number;
  n: number;
}

/** NeuronPath against one baseline, prompt by prompt. */
export interface PairedComparison {
  baseline: Exclude<PathMethod, 'neuronpath'>;
  manipulation: Manipulation;
  /** Share of prompts where NeuronPath's Δp is more extreme in the intended direction (ties count half). */
  winRate: number;
  /** Mean of Δp(NeuronPath) − Δp(baseline). */
  meanDiff: number;
  /** Prompts where NeuronPath did better, worse, or the same (identical paths). */
  wins?: number;
  losses?: number;
  ties?: number;
  /** Two-sided exact sign test over the prompts that are not ties. */
  pSign?: number;
}

export interface FaithfulnessResult {
  rows: FaithfulnessRow[];
  summary: FaithfulnessSummary[];
  paired?: PairedComparison[];
}

/** Two-sided exact sign test: P(a result at least as lopsided as `wins` of `wins + losses` fair coin flips). */
export function signTest(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const k = Math.min(wins, losses);
  // Σ_{i ≤ k} C(n, i) / 2^n, in logs to stay finite for large n.
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd };
}

export async function faithfulness(model: Model, prompts: Array<FaithfulnessPrompt | number[]>, o: FaithfulnessOptions = {}): Promise<FaithfulnessResult> {
  if (prompts.length === 0) fail('faithfulness: no prompts');
  const V = model.config.vocabSize;
  const rows: FaithfulnessRow[] = [];
  for (let i = 0; i < prompts.length; i++) {
    checkCancelled(o);
    const pr = Array.isArray(prompts[i]) ? { ids: prompts[i] as number[] } : (prompts[i] as FaithfulnessPrompt);
    const ids = pr.ids;
    const clean = await runModel(model, { inputIds: [ids], logits: 'last' });
    const token = pr.token ?? argmaxAt(clean.logits!.data, 0, V);
    const pClean = softmaxAt(clean.logits!.data, 0, V, token);
    const r = await findPath(model, { ids, target: { kind: o.targetKind ?? 'logit', token }, steps: o.steps ?? 20, seed: (o.seed ?? 1) + i, runnersUp: 0, joint: o.joint }, { signal: o.signal });
    const paths: Record<PathMethod, PathNode[]> = { neuronpath: r.path, activation: r.baselines.activation, layer_ig: r.baselines.layer_ig, random: r.baselines.random };
    const sets: Edit[][] = [];
    const keys: Array<[PathMethod, Manipulation]> = [];
    for (const method of PATH_METHODS) {
      for (const [man, factor] of Object.entries(MANIPULATIONS) as Array<[Manipulation, number]>) {
        sets.push(paths[method].map((n) => ({ hook: n.hook, index: n.index, op: 'scale', value: factor, positions: r.positions! })));
        keys.push([method, man]);
      }
    }
    const edited = await runModel(model, { inputIds: sets.map(() => ids), edits: sets, logits: 'last' });
    const delta = Object.fromEntries(PATH_METHODS.map((m) => [m, {}])) as FaithfulnessRow['delta'];
    keys.forEach(([m, man], b) => (delta[m][man] = softmaxAt(edited.logits!.data, b * V, V, token) - pClean));
    const pathIds = Object.fromEntries(PATH_METHODS.map((m) => [m, paths[m].map((n) => n.node)])) as Record<PathMethod, string[]>;
    rows.push({ prompt: i, token, pClean, paths: pathIds, delta });
    o.onProgress?.(i + 1, prompts.length);
  }
  const summary: FaithfulnessSummary[] = [];
  for (const method of PATH_METHODS) {
    for (const manipulation of Object.keys(MANIPULATIONS) as Manipulation[]) {
      summary.push({ method, manipulation, ...meanSd(rows.map((r) => r.delta[method][manipulation])), n: rows.length });
    }
  }
  const paired: PairedComparison[] = [];
  for (const baseline of PATH_METHODS.filter((m) => m !== 'neuronpath') as Array<Exclude<PathMethod, 'neuronpath'>>) {
    for (const manipulation of Object.keys(MANIPULATIONS) as Manipulation[]) {
      const sign = manipulation === 'remove' ? -1 : 1;
      let wins = 0;
      let losses = 0;
      let diff = 0;
      for (const r of rows) {
        const d = r.delta.neuronpath[manipulation] - r.delta[baseline][manipulation];
        diff += d;
        if (sign * d > 0) wins++;
        else if (sign * d < 0) losses++;
      }
      const ties = rows.length - wins - losses;
      paired.push({ baseline, manipulation, winRate: (wins + ties / 2) / rows.length, meanDiff: diff / rows.length, wins, losses, ties, pSign: signTest(wins, losses) });
    }
  }
  return { rows, summary, paired };
}
