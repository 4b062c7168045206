/**
 * Per-node attribution of a target to every MLP neuron (`blocks.L.mlp.hook_post`) and attention head
 * (`blocks.L.attn.hook_z`): activation, gradient, gradient × activation, integrated gradients on a layer, and
 * the exact effect of ablating each node.
 */
import { hookInfo } from '../engine/hooks';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName, Target, TensorData } from '../engine/types';
import { checkCancelled, MAX_BATCH, type AnalysisOptions } from './options';
import { headHook, mlpHook, normReduce, positionsOf, sumReduce, times, toNodeScores, unbatch, type PositionSpec, type Scores } from './scores';

export type Method = 'act' | 'grad' | 'gxa' | 'ig' | 'ablate';
export const METHODS: Method[] = ['act', 'grad', 'gxa', 'ig', 'ablate'];

export interface AttributionRequest {
  ids: number[];
  target: Target;
  method: Method;
  /** Integrated-gradient steps (midpoint rule); default 20. */
  steps?: number;
  /** Only this layer; default every layer. */
  layer?: number;
  /** Where nodes are attributed (and, for ig, scaled); default the target position. */
  positions?: PositionSpec;
  /** Ablation baseline; `mean` needs `means`. */
  ablation?: 'zero' | 'mean';
  means?: Record<HookName, Float32Array | number[]>;
  /** Which node kinds; default both. */
  kinds?: Array<'neuron' | 'head'>;
}

export interface AttributionResult {
  target: Target & { position: number };
  method: Method;
  /** The target's value on the unedited prompt. */
  targetValue: number;
  scores: Scores;
}

export function resolveTarget(t: Target, T: number): Target & { position: number } {
  const position = t.position === undefined || t.position < 0 ? T - 1 : t.position;
  return { ...t, position };
}

function hooksFor(model: Model, req: AttributionRequest): HookName[] {
  const layers = req.layer === undefined ? Array.from({ length: model.config.nLayer }, (_, l) => l) : [req.layer];
  const kinds = req.kinds ?? ['neuron', 'head'];
  return layers.flatMap((l) => [...(kinds.includes('neuron') ? [mlpHook(l)] : []), ...(kinds.includes('head') ? [headHook(l)] : [])]);
}

export async function attribute(model: Model, req: AttributionRequest, opts: AnalysisOptions = {}): Promise<AttributionResult> {
  const T = req.ids.length;
  const target = resolveTarget(req.target, T);
  const keep = positionsOf(req.positions ?? 'target', T, target.position);
  const hooks = hooksFor(model, req);
  const clean = await runModel(model, { inputIds: [req.ids], capture: hooks, target, logits: 'none' });
  const targetValue = clean.targetValues![0];
  const scores: Scores = {};
  const isHead = (h: HookName) => hookInfo(h, model.config).layout === 'heads';
  if (req.method === 'act' || req.method === 'grad' || req.method === 'gxa') {
    for (const h of hooks) {
      const a = unbatch(clean.activations[h]);
      const g = unbatch(clean.grads[h]);
      const src = req.method === 'act' ? a : req.method === 'grad' ? g : { shape: a.shape, data: times(a.data, g.data) };
      // Heads: activation and gradient as the norm of the head's vector; grad × act as their dot product.
      scores[h] = toNodeScores(src, keep, isHead(h) && req.method !== 'gxa' ? normReduce : sumReduce);
    }
  } else if (req.method === 'ig') {
    const m = req.steps ?? 20;
    let done = 0;
    for (const h of hooks) {
      const meanGrad = (await integratedGradient(model, req.ids, target, h, keep, m, opts, () => opts.onProgress?.(++done, hooks.length * m)))[h];
      const a = unbatch(clean.activations[h]);
      scores[h] = toNodeScores({ shape: a.shape, data: times(a.data, meanGrad) }, keep, sumReduce);
    }
  } else {
    const jobs: Array<{ hook: HookName; unit: number; pos: number }> = [];
    for (const h of hooks) {
      const units = hookInfo(h, model.config).units;
      for (const pos of keep) for (let u = 0; u < units; u++) jobs.push({ hook: h, unit: u, pos });
      scores[h] = { shape: [T, units], data: new Float32Array(T * units) };
    }
    const op = req.ablation === 'mean' ? 'mean' : 'zero';
    for (let i = 0; i < jobs.length; i += MAX_BATCH) {
      checkCancelled(opts);
      const chunk = jobs.slice(i, i + MAX_BATCH);
      const edits: Edit[][] = chunk.map((j) => [{ hook: j.hook, index: j.unit, op, positions: [j.pos] }]);
      const r = await runModel(model, { inputIds: chunk.map(() => req.ids), edits, target: chunk.map(() => target), logits: 'none', means: req.means });
      chunk.forEach((j, b) => {
        const s = scores[j.hook];
        s.data[j.pos * s.shape[1] + j.unit] = r.targetValues![b] - targetValue;
      });
      opts.onProgress?.(Math.min(i + MAX_BATCH, jobs.length), jobs.length);
    }
  }
  return { target, method: req.method, targetValue, scores };
}

/**
 * Mean gradients of the target while the whole of `hook` (at `positions`) is scaled by α = (k + ½)/m,
 * k = 0..m−1, the steps batched. `alsoScale` edits are scaled along the same α (joint integrated gradients
 * for paths). Returns, for each captured hook, a batch-free array shaped like the hook.
 */
export async function integratedGradient(
  model: Model,
  ids: number[],
  target: Target,
  hook: HookName,
  positions: number[],
  m: number,
  opts: AnalysisOptions,
  onStep?: () => void,
  alsoScale: Edit[] = [],
  capture: HookName[] = [hook],
): Promise<Record<HookName, Float32Array>> {
  const alphas = Array.from({ length: m }, (_, k) => (k + 0.5) / m);
  let sum: Record<HookName, Float32Array> | null = null;
  for (let i = 0; i < m; i += MAX_BATCH) {
    checkCancelled(opts);
    const chunk = alphas.slice(i, i + MAX_BATCH);
    const edits: Edit[][] = chunk.map((alpha) => [
      { hook, index: null, op: 'scale', value: alpha, positions },
      ...alsoScale.map((e) => ({ ...e, value: alpha })),
    ]);
    const r = await runModel(model, { inputIds: chunk.map(() => ids), edits, capture, target: chunk.map(() => target), logits: 'none' });
    for (const h of capture) {
      const g: TensorData = r.grads[h];
      const n = g.data.length / chunk.length;
      sum ??= {};
      sum[h] ??= new Float32Array(n);
      for (let b = 0; b < chunk.length; b++) for (let j = 0; j < n; j++) sum[h][j] += g.data[b * n + j];
    }
    for (let k = 0; k < chunk.length; k++) onStep?.();
  }
  for (const h of capture) {
    const s = sum![h];
    for (let j = 0; j < s.length; j++) s[j] /= m;
  }
  return sum!;
}
