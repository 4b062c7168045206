/**
 * The NeuronPath manipulation experiment: over prompts, remove (×0) or enhance (×2) the neurons of a path at its
 * positions and measure the change of the target token's probability, for NeuronPath and the baselines
 * (activation path, per-layer IG path, per-layer grad × act path, random path), plus a distribution over many
 * random paths per prompt; every mean comes with a bootstrap confidence interval over prompts.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { batchInput, batchInputs, type ModelInput } from '../engine/inputs';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import { Rng } from './rng';
import { checkCancelled, MAX_BATCH, type AnalysisOptions } from './options';
import { findPath, type PathNode } from './path';
import type { PositionSpec } from './scores';
import { argmaxAt, softmaxAt, type TargetKind } from './targets';

export const PATH_METHODS = ['neuronpath', 'activation', 'layer_ig', 'gxa', 'random'] as const;
export type PathMethod = (typeof PATH_METHODS)[number];
export const MANIPULATIONS = { remove: 0, enhance: 2 } as const;
export type Manipulation = keyof typeof MANIPULATIONS;

export interface FaithfulnessPrompt {
  /** Token ids, or a vision model's image (the target is then a class, read at [CLS]). */
  ids: ModelInput;
  /** The target token (a vision model's class); default the model's own top-1 next token (class). */
  token?: number;
}

export interface FaithfulnessOptions extends AnalysisOptions {
  steps?: number;
  seed?: number;
  /** What the path search attributes: the target's logit (default) or its log-probability. */
  targetKind?: Extract<TargetKind, 'logit' | 'logprob'>;
  /** NeuronPath's joint attribution: layer-scaled (default) or exact (see PathRequest.joint). */
  joint?: 'layer' | 'exact';
  /** Where paths are found and manipulated (PathRequest.positions); default the target position. */
  positions?: PositionSpec;
  /** Random paths per prompt for the random distribution; default 20 (0: none). */
  randomPaths?: number;
  /** Bootstrap resamples of the prompts for the confidence intervals; default 2000. */
  bootstrap?: number;
}

/** One value per path method; `gxa` is absent in results saved before it existed. */
export type PerMethod<T> = Record<Exclude<PathMethod, 'gxa'>, T> & Partial<Record<'gxa', T>>;

export interface FaithfulnessRow {
  prompt: number;
  token: number;
  pClean: number;
  /** Node ids of each method's path. */
  paths?: PerMethod<string[]>;
  /** Probability change of the target token (p_edited − p_clean), per method and manipulation. */
  delta: PerMethod<Record<Manipulation, number>>;
  /** Δp of each of the prompt's random paths (seeded, one neuron per layer uniformly), per manipulation. */
  randomPaths?: Record<Manipulation, number[]>;
}

export interface FaithfulnessSummary {
  method: PathMethod;
  manipulation: Manipulation;
  mean: number;
  sd: number;
  n: number;
  /** 95% percentile-bootstrap interval of the mean over prompts. */
  ci95?: [number, number];
}

/** Δp over every random path of every prompt, per manipulation. */
export interface RandomDistribution {
  manipulation: Manipulation;
  /** Random paths per prompt. */
  paths: number;
  /** Mean over all prompts and paths, with the bootstrap interval over prompts of the per-prompt means. */
  mean: number;
  ci95: [number, number];
  sd: number;
  /** Quantiles of all the Δp values. */
  q05: number;
  q50: number;
  q95: number;
  /** Mean over prompts of the share of that prompt's random paths NeuronPath beats (more extreme Δp in the intended direction; ties half). */
  neuronpathPercentile: number;
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
  /** Present when random paths were drawn. */
  random?: RandomDistribution[];
}

/** 95% percentile-bootstrap interval of the mean of xs (resampling the entries; seeded). */
export function bootstrapCi(xs: number[], resamples = 2000, seed = 1): [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)];
    means[b] = s / xs.length;
  }
  means.sort();
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return [at(0.025), at(0.975)];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = q * (sorted.length - 1);
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(sorted.length - 1, lo + 1)] - sorted[lo]) * (i - lo);
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
  const R = Math.max(0, Math.floor(o.randomPaths ?? 20));
  const B = o.bootstrap ?? 2000;
  const rows: FaithfulnessRow[] = [];
  for (let i = 0; i < prompts.length; i++) {
    checkCancelled(o);
    const pr = Array.isArray(prompts[i]) ? { ids: prompts[i] as number[] } : (prompts[i] as FaithfulnessPrompt);
    const ids = pr.ids;
    const clean = await runModel(model, { ...batchInputs([ids]), logits: 'last' });
    const token = pr.token ?? argmaxAt(clean.logits!.data, 0, V);
    const pClean = softmaxAt(clean.logits!.data, 0, V, token);
    const r = await findPath(model, { ids, target: { kind: o.targetKind ?? 'logit', token }, steps: o.steps ?? 20, seed: (o.seed ?? 1) + i, runnersUp: 0, joint: o.joint, positions: o.positions }, { signal: o.signal });
    const paths: Record<PathMethod, PathNode[]> = { neuronpath: r.path, activation: r.baselines.activation, layer_ig: r.baselines.layer_ig, gxa: r.baselines.gxa!, random: r.baselines.random };
    const mans = Object.entries(MANIPULATIONS) as Array<[Manipulation, number]>;
    const scaled = (nodes: Array<{ hook: string; index: number }>, factor: number): Edit[] => nodes.map((n) => ({ hook: n.hook, index: n.index, op: 'scale', value: factor, positions: r.positions! }));
    const sets: Edit[][] = [];
    const keys: Array<[PathMethod, Manipulation]> = [];
    for (const method of PATH_METHODS) {
      for (const [man, factor] of mans) {
        sets.push(scaled(paths[method], factor));
        keys.push([method, man]);
      }
    }
    // The random distribution: R more random paths (their own seed), each removed and enhanced.
    const rng = new Rng(((o.seed ?? 1) + i) * 7919 + 17);
    const L = model.config.nLayer;
    const randoms = Array.from({ length: R }, () => Array.from({ length: L }, (_, l) => ({ hook: `blocks.${l}.mlp.hook_post`, index: rng.int(model.config.dMlp) })));
    for (const path of randoms) for (const [, factor] of mans) sets.push(scaled(path, factor));
    const probs: number[] = [];
    for (let b = 0; b < sets.length; b += MAX_BATCH) {
      const chunk = sets.slice(b, b + MAX_BATCH);
      const edited = await runModel(model, { ...batchInput(ids, chunk.length), edits: chunk, logits: 'last' });
      chunk.forEach((_, j) => probs.push(softmaxAt(edited.logits!.data, j * V, V, token)));
    }
    const delta = Object.fromEntries(PATH_METHODS.map((m) => [m, {}])) as Record<PathMethod, Record<Manipulation, number>>;
    keys.forEach(([m, man], b) => (delta[m][man] = probs[b] - pClean));
    const randomPaths = Object.fromEntries(mans.map(([man], k) => [man, randoms.map((_, j) => probs[keys.length + j * mans.length + k] - pClean)])) as Record<Manipulation, number[]>;
    const pathIds = Object.fromEntries(PATH_METHODS.map((m) => [m, paths[m].map((n) => n.node)])) as Record<PathMethod, string[]>;
    rows.push({ prompt: i, token, pClean, paths: pathIds, delta, ...(R > 0 ? { randomPaths } : {}) });
    o.onProgress?.(i + 1, prompts.length);
  }
  const summary: FaithfulnessSummary[] = [];
  for (const method of PATH_METHODS) {
    for (const manipulation of Object.keys(MANIPULATIONS) as Manipulation[]) {
      const xs = rows.map((r) => r.delta[method]![manipulation]);
      summary.push({ method, manipulation, ...meanSd(xs), n: rows.length, ci95: bootstrapCi(xs, B, 11) });
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
        const d = r.delta.neuronpath[manipulation] - r.delta[baseline]![manipulation];
        diff += d;
        if (sign * d > 0) wins++;
        else if (sign * d < 0) losses++;
      }
      const ties = rows.length - wins - losses;
      paired.push({ baseline, manipulation, winRate: (wins + ties / 2) / rows.length, meanDiff: diff / rows.length, wins, losses, ties, pSign: signTest(wins, losses) });
    }
  }
  const random: RandomDistribution[] = [];
  if (R > 0) {
    for (const manipulation of Object.keys(MANIPULATIONS) as Manipulation[]) {
      const sign = manipulation === 'remove' ? -1 : 1;
      const all = rows.flatMap((r) => r.randomPaths![manipulation]);
      const perPrompt = rows.map((r) => r.randomPaths![manipulation].reduce((a, b) => a + b, 0) / R);
      const beaten = rows.map((r) => {
        const np = sign * r.delta.neuronpath[manipulation];
        return r.randomPaths![manipulation].reduce((a, x) => a + (np > sign * x ? 1 : np === sign * x ? 0.5 : 0), 0) / R;
      });
      const sorted = [...all].sort((a, b) => a - b);
      random.push({
        manipulation,
        paths: R,
        mean: perPrompt.reduce((a, b) => a + b, 0) / rows.length,
        ci95: bootstrapCi(perPrompt, B, 13),
        sd: meanSd(all).sd,
        q05: quantile(sorted, 0.05),
        q50: quantile(sorted, 0.5),
        q95: quantile(sorted, 0.95),
        neuronpathPercentile: beaten.reduce((a, b) => a + b, 0) / rows.length,
      });
    }
  }
  return { rows, summary, paired, ...(R > 0 ? { random } : {}) };
}
