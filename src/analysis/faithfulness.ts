/**
 * The NeuronPath manipulation experiment: over prompts, remove (zero) or enhance (×2) the neurons of a path at
 * the target position and measure the change of the target token's probability, for NeuronPath and baselines.
 */
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import { checkCancelled, type AnalysisOptions } from './options';
import { findPath, type PathNode } from './path';

export const PATH_METHODS = ['neuronpath', 'activation', 'layer_ig', 'random'] as const;
export type PathMethod = (typeof PATH_METHODS)[number];
export const MANIPULATIONS = { remove: 0, enhance: 2 } as const;
export type Manipulation = keyof typeof MANIPULATIONS;

export interface FaithfulnessRow {
  prompt: number;
  token: number;
  pClean: number;
  /** Probability change of the target token, per method and manipulation. */
  delta: Record<PathMethod, Record<Manipulation, number>>;
}

export interface FaithfulnessSummary {
  method: PathMethod;
  manipulation: Manipulation;
  mean: number;
  sd: number;
  n: number;
}

export interface FaithfulnessResult {
  rows: FaithfulnessRow[];
  summary: FaithfulnessSummary[];
}

function softmaxAt(logits: Float32Array, offset: number, V: number, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[offset + i]);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[offset + i] - max);
  return Math.exp(logits[offset + token] - max) / sum;
}

/** Runs the experiment on prompts (token ids); the target is the model's own top-1 next token. */
export async function faithfulness(model: Model, prompts: number[][], o: { steps?: number; seed?: number } & AnalysisOptions = {}): Promise<FaithfulnessResult> {
  const V = model.config.vocabSize;
  const rows: FaithfulnessRow[] = [];
  for (let i = 0; i < prompts.length; i++) {
    checkCancelled(o);
    const ids = prompts[i];
    const clean = await runModel(model, { inputIds: [ids], logits: 'last' });
    let token = 0;
    for (let v = 1; v < V; v++) if (clean.logits!.data[v] > clean.logits!.data[token]) token = v;
    const pClean = softmaxAt(clean.logits!.data, 0, V, token);
    const r = await findPath(model, { ids, target: { kind: 'logit', token }, steps: o.steps ?? 20, seed: (o.seed ?? 1) + i, runnersUp: 0 });
    const paths: Record<PathMethod, PathNode[]> = { neuronpath: r.path, activation: r.baselines.activation, layer_ig: r.baselines.layer_ig, random: r.baselines.random };
    const sets: Edit[][] = [];
    const keys: Array<[PathMethod, Manipulation]> = [];
    for (const method of PATH_METHODS) {
      for (const [man, factor] of Object.entries(MANIPULATIONS) as Array<[Manipulation, number]>) {
        sets.push(paths[method].map((n) => ({ hook: n.hook, index: n.index, op: 'scale', value: factor, positions: [n.position] })));
        keys.push([method, man]);
      }
    }
    const edited = await runModel(model, { inputIds: sets.map(() => ids), edits: sets, logits: 'last' });
    const delta = Object.fromEntries(PATH_METHODS.map((m) => [m, {}])) as FaithfulnessRow['delta'];
    keys.forEach(([m, man], b) => (delta[m][man] = softmaxAt(edited.logits!.data, b * V, V, token) - pClean));
    rows.push({ prompt: i, token, pClean, delta });
    o.onProgress?.(i + 1, prompts.length);
  }
  const summary: FaithfulnessSummary[] = [];
  for (const method of PATH_METHODS) {
    for (const manipulation of Object.keys(MANIPULATIONS) as Manipulation[]) {
      const xs = rows.map((r) => r.delta[method][manipulation]);
      const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
      summary.push({ method, manipulation, mean, sd, n: xs.length });
    }
  }
  return { rows, summary };
}
