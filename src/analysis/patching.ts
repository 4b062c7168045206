/**
 * Patching on clean/corrupted prompt pairs (the same number of tokens): how much of a metric read at the last
 * position — `logit` of a target token, `logit_diff` target − distractor, or `logprob` of the target — each unit
 * carries from one prompt to the other. Units (patching-units.ts): MLP neurons of `blocks.L.mlp.hook_post`,
 * heads of `blocks.L.attn.hook_z` (a head's d_head vector) and the whole residual vector of
 * `blocks.L.hook_resid_pre` (one unit), each at one position.
 *
 * Methods, for `denoising` (the default; `noising` swaps the roles of the two prompts):
 * - `exact` (activation patching): score[p, n] = metric(corrupted run with unit n at position p set to its clean
 *   value) − metric(corrupted run). One edited copy per unit and position, batched into suffix runs from p on
 *   (exact, see suffix.ts). Without a run, 0 for units whose two values are identical and for the last block's
 *   heads and neurons before the last position (nothing later reads them).
 * - `atp` (attribution patching): (a_clean − a_corrupted) · ∂metric/∂a on the corrupted run, one backward pass.
 * - `relp` (relevance patching, Jafari et al. 2025): the same product with the gradient replaced by LRP relevance
 *   coefficients — the gradient of the corrupted run under the engine's `lrp` backward rules (LN-rule, AH-rule,
 *   identity rule for the MLP nonlinearity, half rule for gated products; docs/terminology.md).
 * Noising: metric(clean run with the unit set to its corrupted value) − metric(clean run), and for atp/relp
 * (a_corrupted − a_clean) · the gradient (or relevance) on the clean run.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName, Target, TensorData } from '../engine/types';
import { checkCancelled, type AnalysisOptions } from './options';
import { patchEdits, patchHooks, unitShape, type PatchHookKind } from './patching-units';
import { suffixBatch, SuffixRunner, suffixTarget } from './suffix';

export { ALL_PATCH_HOOK_KINDS, PATCH_HOOK_KINDS, type PatchHookKind } from './patching-units';

export const PATCH_METHODS = ['exact', 'atp', 'relp'] as const;
export type PatchMethod = (typeof PATCH_METHODS)[number];
export const PATCH_METRICS = ['logit', 'logit_diff', 'logprob'] as const;
export type PatchMetric = (typeof PATCH_METRICS)[number];
export type PatchDirection = 'denoising' | 'noising';

export interface PatchRequest {
  clean: number[];
  corrupted: number[];
  /** The target token t; the metric is read at the last position. */
  target: number;
  /** For `logit_diff`: the distractor d in logit(t) − logit(d). */
  distractor?: number;
  /** Default: `logit_diff` when a distractor is given, else `logit`. */
  metric?: PatchMetric;
  method: PatchMethod;
  direction?: PatchDirection;
  /** Which units; default mlp, heads and resid (`mlp_out` only when listed). */
  hooks?: PatchHookKind[];
  /** Only these layers; default every layer. */
  layers?: number[];
  /** Patched positions: every position (default), the last one, or one position. */
  positions?: 'all' | 'last' | number;
}

export interface PatchResult {
  metric: PatchMetric;
  method: PatchMethod;
  direction: PatchDirection;
  target: number;
  distractor?: number;
  /** The metric on the unedited clean and corrupted prompts. */
  cleanMetric: number;
  corruptedMetric: number;
  /** The patched positions. */
  positions: number[];
  /** Per hook [T, N]: zero at positions not patched. */
  scores: Record<HookName, TensorData>;
}

/** A checked request: the run whose metric is measured (base) and the prompt whose values are patched in (source). */
export interface PatchPlan {
  base: number[];
  source: number[];
  T: number;
  target: Target & { position: number };
  metric: PatchMetric;
  direction: PatchDirection;
  hooks: HookName[];
  positions: number[];
}

export function planPatch(model: Model, req: PatchRequest): PatchPlan {
  const cfg = model.config;
  const { clean, corrupted } = req;
  if (!Array.isArray(clean) || clean.length === 0) fail('patching: the clean prompt is empty');
  if (!Array.isArray(corrupted) || corrupted.length === 0) fail('patching: the corrupted prompt is empty');
  if (clean.length !== corrupted.length) {
    fail(`patching needs prompts of the same length: the clean prompt has ${clean.length} tokens, the corrupted prompt ${corrupted.length}`);
  }
  if (!(PATCH_METHODS as readonly string[]).includes(req.method)) fail(`method "${req.method}" is not one of ${PATCH_METHODS.join(', ')}`);
  const direction = req.direction ?? 'denoising';
  if (direction !== 'denoising' && direction !== 'noising') fail(`direction "${direction}" is not denoising or noising`);
  const metric = req.metric ?? (req.distractor !== undefined ? 'logit_diff' : 'logit');
  if (!(PATCH_METRICS as readonly string[]).includes(metric)) fail(`metric "${metric}" is not one of ${PATCH_METRICS.join(', ')}`);
  if (metric === 'logit_diff' && req.distractor === undefined) fail('the logit_diff metric needs a distractor token');
  if (metric !== 'logit_diff' && req.distractor !== undefined) fail(`a distractor is only used with the logit_diff metric (got ${metric})`);
  for (const tok of metric === 'logit_diff' ? [req.target, req.distractor!] : [req.target]) {
    if (!Number.isInteger(tok) || tok < 0 || tok >= cfg.vocabSize) fail(`token ${tok} is outside the vocabulary (0..${cfg.vocabSize - 1})`);
  }
  const T = clean.length;
  const spec = req.positions ?? 'all';
  let positions: number[];
  if (spec === 'all') positions = Array.from({ length: T }, (_, i) => i);
  else if (spec === 'last') positions = [T - 1];
  else {
    if (!Number.isInteger(spec) || spec < 0 || spec >= T) fail(`position ${spec} is outside the prompt (0..${T - 1})`);
    positions = [spec];
  }
  const noising = direction === 'noising';
  return {
    base: noising ? clean : corrupted,
    source: noising ? corrupted : clean,
    T,
    target: { kind: metric, token: req.target, distractor: metric === 'logit_diff' ? req.distractor : undefined, position: T - 1 },
    metric,
    direction,
    hooks: patchHooks(cfg, req.hooks, req.layers),
    positions,
  };
}

/** Patching scores of every unit of the request's hooks at its positions (see the file comment). */
export async function patch(model: Model, req: PatchRequest, opts: AnalysisOptions = {}): Promise<PatchResult> {
  const plan = planPatch(model, req);
  const r = req.method === 'exact' ? await exactPatching(model, plan, opts) : await gradientPatching(model, plan, req.method === 'relp' ? 'lrp' : 'exact');
  const noising = plan.direction === 'noising';
  return {
    metric: plan.metric,
    method: req.method,
    direction: plan.direction,
    target: plan.target.token,
    ...(plan.target.distractor !== undefined ? { distractor: plan.target.distractor } : {}),
    cleanMetric: noising ? r.baseMetric : r.sourceMetric,
    corruptedMetric: noising ? r.sourceMetric : r.baseMetric,
    positions: plan.positions,
    scores: r.scores,
  };
}

interface Scored {
  baseMetric: number;
  sourceMetric: number;
  scores: Record<HookName, TensorData>;
}

/** Batch-free copies of one sequence's captured hooks. */
function captured(acts: Record<HookName, TensorData>, hooks: HookName[], b: number): Record<HookName, Float32Array> {
  return Object.fromEntries(
    hooks.map((h) => {
      const t = acts[h];
      const n = t.data.length / t.shape[0];
      return [h, t.data.subarray(b * n, (b + 1) * n)];
    }),
  );
}

/**
 * AtP (rules `exact`) and RelP (rules `lrp`): one forward and backward pass on the base and source prompts
 * together; score = (a_source − a_base) · (gradient or relevance of the metric on the base run).
 */
export async function gradientPatching(model: Model, plan: PatchPlan, rules: 'exact' | 'lrp'): Promise<Scored> {
  const cfg = model.config;
  const { T, hooks } = plan;
  const r = await runModel(model, { inputIds: [plan.base, plan.source], capture: hooks, target: plan.target, logits: 'none', rules });
  const base = captured(r.activations, hooks, 0);
  const source = captured(r.activations, hooks, 1);
  const grad = captured(r.grads, hooks, 0);
  const scores: Record<HookName, TensorData> = {};
  for (const h of hooks) {
    const { units: N, width: d } = unitShape(h, cfg);
    const out = new Float32Array(T * N);
    const a = base[h];
    const s = source[h];
    const g = grad[h];
    for (const p of plan.positions) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        const i0 = (p * N + n) * d;
        for (let j = 0; j < d; j++) acc += (s[i0 + j] - a[i0 + j]) * g[i0 + j];
        out[p * N + n] = acc;
      }
    }
    scores[h] = { shape: [T, N], data: out };
  }
  return { baseMetric: r.targetValues![0], sourceMetric: r.targetValues![1], scores };
}

/** Activation patching: one edited copy of the base prompt per unit and position, batched into suffix runs from that position. */
export async function exactPatching(model: Model, plan: PatchPlan, opts: AnalysisOptions = {}): Promise<Scored> {
  const cfg = model.config;
  const { T, hooks } = plan;
  const src = await runModel(model, { inputIds: [plan.source], capture: hooks, target: plan.target, logits: 'none' });
  const source = captured(src.activations, hooks, 0);
  const layers = hooks.map((h) => unitShape(h, cfg).layer);
  const runner = await SuffixRunner.create(model, plan.base, Math.min(...layers), hooks);
  const tgt = suffixTarget(plan.target);
  const scores: Record<HookName, TensorData> = {};
  for (const h of hooks) scores[h] = { shape: [T, unitShape(h, cfg).units], data: new Float32Array(T * unitShape(h, cfg).units) };
  try {
    const whole = await runner.run({ edits: [[]], targets: [tgt], start: T - 1 });
    // Jobs per position: every unit whose source value differs from the base value there.
    const byPos = plan.positions.map((p) => {
      const jobs: Array<{ hook: HookName; unit: number; edits: Edit[] }> = [];
      for (const h of hooks) {
        const { units, width, layer, kind } = unitShape(h, cfg);
        // The last block's heads, neurons and MLP output at a position before the last reach no later layer: no effect.
        if (p < T - 1 && layer === cfg.nLayer - 1 && kind !== 'resid') continue;
        const a = runner.clean[h].data;
        const s = source[h];
        for (let n = 0; n < units; n++) {
          const i0 = (p * units + n) * width;
          let same = true;
          for (let j = 0; j < width && same; j++) same = a[i0 + j] === s[i0 + j];
          if (!same) jobs.push({ hook: h, unit: n, edits: patchEdits(h, cfg, n, p, s.subarray(i0, i0 + width)) });
        }
      }
      return { p, jobs };
    });
    const total = byPos.reduce((x, g) => x + g.jobs.length, 0);
    let done = 0;
    for (const { p, jobs } of byPos) {
      if (jobs.length === 0) continue;
      const batch = suffixBatch(cfg, T - p, T);
      // Each position's first batch carries an unedited copy: the baseline of the same suffix arithmetic.
      let baseline = NaN;
      for (let i = 0; i < jobs.length; i += batch) {
        checkCancelled(opts);
        const chunk = jobs.slice(i, i + batch);
        const edits = chunk.map((j) => j.edits);
        const withBase = i === 0;
        if (withBase) edits.push([]);
        const r = await runner.run({ edits, targets: edits.map(() => tgt), start: p });
        if (withBase) baseline = r.targetValues[chunk.length];
        chunk.forEach((j, b) => {
          const sc = scores[j.hook];
          sc.data[p * sc.shape[1] + j.unit] = r.targetValues[b] - baseline;
        });
        opts.onProgress?.((done += chunk.length), total);
      }
    }
    return { baseMetric: whole.targetValues[0], sourceMetric: src.targetValues![0], scores };
  } finally {
    runner.dispose();
  }
}
