/**
 * Per-node attribution of a target to every MLP neuron (`blocks.L.mlp.hook_post`) and attention head
 * (`blocks.L.attn.hook_z`):
 * - `act`: the activation (heads: the norm of the head's output vector);
 * - `grad`: the gradient of the target (heads: its norm);
 * - `gxa`: gradient × activation (heads: the dot product of the two vectors) — one forward and one backward pass
 *   for every node at once (at the target position, the backward pass is position-grad.ts's one-position one);
 * - `ig`: integrated gradients of each layer's hook, scaled as a whole from 0 to its value (ig.ts), with each
 *   hook's completeness gap (Σ IG against the exact F(x) − F(hook zeroed)) and a warning above 5%;
 * - `ablate`: the exact effect of each node alone, F(x) − F(node zeroed or set to its mean) (ablation.ts).
 * One sign convention for every method: a positive score means the node supports the target (gxa, IG and
 * ablation all estimate or measure how much the target drops without it).
 * Scores are [T, units] per hook, zero at positions not attributed.
 */
import { fail } from '../engine/errors';
import { hookInfo } from '../engine/hooks';
import { batchInput, inputTokens, type ModelInput } from '../engine/inputs';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { HookName, Target } from '../engine/types';
import { ablationSweep } from './ablation';
import { hookIntegratedGradients, IG_GAP_WARN, igCompleteness, suggestSteps, type HookCompleteness } from './ig';
import { checkCancelled, type AnalysisOptions } from './options';
import { positionGradients } from './position-grad';
import { headHook, mlpHook, normReduce, positionsOf, sumReduce, times, toNodeScores, unbatch, type PositionSpec, type Scores } from './scores';
import { resolveTarget, targetFromLogits, type ResolvedTarget } from './targets';

export { resolveTarget } from './targets';
import { ATTRIBUTION_METHODS, type AttributionMethod } from './methods';

/** Models up to this size take the one-position backward pass (its weights are copied off the backend once). */
const ONE_POSITION_MAX_PARAMS = 20e6;

export type Method = AttributionMethod;
export const METHODS: readonly Method[] = ATTRIBUTION_METHODS;

export interface AttributionRequest {
  /** Token ids, or a vision model's image (the target is then a class, read at [CLS]). */
  ids: ModelInput;
  target: Target;
  method: Method;
  /** Integrated-gradient steps (midpoint rule); default 20. */
  steps?: number;
  /**
   * IG only: when set, the steps are doubled (from `steps`, up to 1024) until every hook's completeness gap is at
   * most this (e.g. 0.05).
   */
  maxGap?: number;
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
  target: ResolvedTarget;
  method: Method;
  /** The target's value on the unedited prompt. */
  targetValue: number;
  scores: Scores;
  /** IG: the steps used (after any doubling for `maxGap`). */
  steps?: number;
  /** IG: per hook, Σ of its scores against F(x) − F(hook zeroed at the scaled positions). */
  completeness?: Record<HookName, HookCompleteness>;
  /** Problems worth knowing about the numbers (an IG completeness gap above 5%). */
  warnings?: string[];
}

function hooksFor(model: Model, req: AttributionRequest): HookName[] {
  const L = model.config.nLayer;
  if (req.layer !== undefined && (!Number.isInteger(req.layer) || req.layer < 0 || req.layer >= L)) fail(`layer ${req.layer} does not exist (the model has ${L} layers)`);
  const layers = req.layer === undefined ? Array.from({ length: L }, (_, l) => l) : [req.layer];
  const kinds = req.kinds ?? ['neuron', 'head'];
  return layers.flatMap((l) => [...(kinds.includes('neuron') ? [mlpHook(l)] : []), ...(kinds.includes('head') ? [headHook(l)] : [])]);
}

export async function attribute(model: Model, req: AttributionRequest, opts: AnalysisOptions = {}): Promise<AttributionResult> {
  if (!METHODS.includes(req.method)) fail(`method "${req.method}" is not one of ${METHODS.join(', ')}`);
  const T = inputTokens(model.config, req.ids);
  if (T === 0) fail('the prompt is empty: at least one token is needed');
  const target = resolveTarget(req.target, T, model.config);
  const spec = req.positions ?? 'target';
  if (typeof spec === 'number' && (!Number.isInteger(spec) || spec < 0 || spec >= T)) fail(`position ${spec} is outside the prompt (0..${T - 1})`);
  const keep = positionsOf(spec, T, target.position);
  const hooks = hooksFor(model, req);
  checkCancelled(opts);

  if (req.method === 'ablate') {
    const r = await ablationSweep(model, { ids: req.ids, target, hooks, positions: keep, op: req.ablation ?? 'zero', means: req.means }, opts);
    // ablationSweep measures F(ablated) − F(x); attribution scores are F(x) − F(ablated), the sign of gxa and IG.
    for (const t of Object.values(r.scores)) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i] === 0 ? 0 : -t.data[i];
    return { target, method: req.method, targetValue: r.targetValue, scores: r.scores };
  }

  if ((req.method === 'grad' || req.method === 'gxa') && keep.length === 1 && keep[0] === target.position && model.paramCount <= ONE_POSITION_MAX_PARAMS) {
    // At the target position: one captured forward pass and a one-position backward pass (position-grad.ts).
    const r = await positionGradients(model, req.ids, target, hooks);
    const scores: Scores = {};
    for (const h of hooks) {
      const U = hookInfo(h, model.config).units;
      const g = r.grads[h];
      const d = g.length / U;
      const a = r.activations[h];
      const out = new Float32Array(T * U);
      const p = target.position;
      for (let u = 0; u < U; u++) {
        let s = 0;
        if (req.method === 'gxa') for (let j = 0; j < d; j++) s += a[(p * U + u) * d + j] * g[u * d + j];
        else if (d === 1) s = g[u];
        else {
          for (let j = 0; j < d; j++) s += g[u * d + j] ** 2;
          s = Math.sqrt(s);
        }
        out[p * U + u] = s;
      }
      scores[h] = { shape: [T, U], data: out };
    }
    opts.onProgress?.(1, 1);
    return { target, method: req.method, targetValue: r.targetValue, scores };
  }

  // One forward pass, and for grad and gxa one backward pass, for every node at once.
  const withGrad = req.method === 'grad' || req.method === 'gxa';
  const clean = await runModel(model, { ...batchInput(req.ids, 1), capture: req.method === 'ig' ? [] : hooks, target: withGrad ? target : undefined, logits: withGrad ? 'none' : 'all' });
  const V = model.config.vocabSize;
  const targetValue = withGrad ? clean.targetValues![0] : targetFromLogits(target, clean.logits!.data, target.position * V, V);
  const isHead = (h: HookName) => hookInfo(h, model.config).layout === 'heads';
  const scores: Scores = {};
  if (req.method === 'ig') {
    let m = req.steps ?? 20;
    for (;;) {
      const r = await hookIntegratedGradients(model, req.ids, target, hooks, keep, m, opts);
      for (const h of hooks) scores[h] = r[h];
      const completeness = await igCompleteness(model, req.ids, target, scores, keep);
      const worst = Math.max(...Object.values(completeness).map((c) => c.gap));
      if (req.maxGap === undefined || worst <= req.maxGap || m >= 1024) {
        const warnings = Object.entries(completeness)
          .filter(([, c]) => c.gap > IG_GAP_WARN)
          .map(([h, c]) => `integrated gradients of ${h} miss completeness by ${(100 * c.gap).toFixed(1)}% with m = ${m} steps (sum ${c.sum.toFixed(4)} vs F(x) − F(hook zeroed) ${c.exact.toFixed(4)}); try --steps ${suggestSteps(m, c.gap)} or --steps auto`);
        return { target, method: req.method, targetValue, scores, steps: m, completeness, warnings };
      }
      m = Math.min(1024, 2 * m);
    }
  } else {
    for (const h of hooks) {
      const a = unbatch(clean.activations[h]);
      if (req.method === 'act') {
        scores[h] = toNodeScores(a, keep, isHead(h) ? normReduce : sumReduce);
        continue;
      }
      const g = unbatch(clean.grads[h]);
      const src = req.method === 'grad' ? g : { shape: a.shape, data: times(a.data, g.data) };
      scores[h] = toNodeScores(src, keep, isHead(h) && req.method === 'grad' ? normReduce : sumReduce);
    }
    opts.onProgress?.(1, 1);
  }
  return { target, method: req.method, targetValue, scores };
}
