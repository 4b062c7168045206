/**
 * Integrated gradients by the midpoint rule: a set of units is scaled together by α = (k + ½)/m, k = 0..m−1, and
 * the target's gradient is averaged over the m steps; the attribution of a unit is its activation × its mean
 * gradient (for units downstream of other scaled units, the activation at each step: see `integratedTerms`).
 * All steps (and all jobs of one call) are batched into suffix runs.
 */
import { hookInfo } from '../engine/hooks';
import { batchInput, influencingLength, inputPrefix, inputTokens, type ModelInput } from '../engine/inputs';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName, TensorData } from '../engine/types';
import { betweenSteps, StepBatch, type AnalysisOptions } from './options';
import { suffixBatch, SuffixRunner, suffixTarget, type SuffixTarget } from './suffix';
import type { ResolvedTarget } from './targets';

/** Units scaled together: one unit (or every unit, index null) of a hook at some positions. */
export interface ScaleGroup {
  hook: HookName;
  index: number | null;
  positions: number[];
}

/** One integrated-gradient job: everything in `scaled` moves along the same α. */
export interface IgJob {
  scaled: ScaleGroup[];
}

export const igAlphas = (m: number) => Array.from({ length: m }, (_, k) => (k + 0.5) / m);

/**
 * For each job, the integrated-gradient terms of every captured hook at the runner's positions start..T−1:
 * (1/m) Σ_k ∂F/∂h(α_k) · h(α_k)/α_k, element by element, where h(α) is the hook's value after the edits of step k.
 * For a scaled unit h(α)/α is the unit's own (unscaled) value at that step: its clean activation when nothing
 * upstream is scaled, and otherwise the value it takes given the scaled units before it. With that factor the
 * terms of all scaled units sum to F(x) − F(all of them zeroed) (completeness), also when the scaled units span
 * several layers. Only the entries of scaled units are meaningful. Per job, per hook, a
 * [T − start, ...unit shape] array. `onSequences` is told how many sequences each batch ran.
 */
export async function integratedTerms(
  runner: SuffixRunner,
  target: SuffixTarget,
  jobs: IgJob[],
  capture: HookName[],
  m: number,
  start: number,
  opts: AnalysisOptions = {},
  onSequences?: (n: number) => void,
  /** The batch sizer to use (one carried across calls on the same runner keeps what earlier calls measured). */
  batching?: StepBatch,
): Promise<Array<Record<HookName, Float32Array>>> {
  const alphas = igAlphas(m);
  const seqs: Array<{ job: number; alpha: number; edits: Edit[] }> = [];
  jobs.forEach((job, j) => {
    for (const alpha of alphas) seqs.push({ job: j, alpha, edits: job.scaled.map((g) => ({ hook: g.hook, index: g.index, op: 'scale', value: alpha, positions: g.positions })) });
  });
  const sums: Array<Record<HookName, Float64Array>> = jobs.map(() => ({}));
  const steps = batching ?? new StepBatch(suffixBatch(runner.model.config, runner.T - start, runner.T), opts);
  for (let i = 0; i < seqs.length; ) {
    await betweenSteps(opts);
    const chunk = seqs.slice(i, i + steps.size);
    i += chunk.length;
    const r = await steps.time(() => runner.run({ edits: chunk.map((s) => s.edits), targets: chunk.map(() => target), capture, start }));
    for (const h of capture) {
      const g = r.grads[h].data;
      const a = r.activations[h].data;
      const n = g.length / chunk.length;
      chunk.forEach((s, b) => {
        const acc = (sums[s.job][h] ??= new Float64Array(n));
        const inv = 1 / s.alpha;
        for (let j = 0; j < n; j++) acc[j] += g[b * n + j] * a[b * n + j] * inv;
      });
    }
    onSequences?.(chunk.length);
  }
  return sums.map((rec) => Object.fromEntries(capture.map((h) => [h, Float32Array.from(rec[h], (x) => x / m)])));
}

/**
 * Integrated gradients of whole hooks: each hook in `hooks` is scaled on its own (at `positions` that can influence
 * the target: ≤ its position under causal attention, any for vit) and attributed per unit: activation × mean gradient. Returns per hook a [T, units] array
 * (heads: the sum over the head's vector), zero outside `positions`.
 */
export async function hookIntegratedGradients(
  model: Model,
  ids: ModelInput,
  target: ResolvedTarget,
  hooks: HookName[],
  positions: number[],
  m: number,
  opts: AnalysisOptions = {},
): Promise<Record<HookName, TensorData>> {
  const cfg = model.config;
  const T = inputTokens(cfg, ids);
  const p = target.position;
  const out: Record<HookName, TensorData> = {};
  for (const h of hooks) out[h] = { shape: [T, hookInfo(h, cfg).units], data: new Float32Array(T * hookInfo(h, cfg).units) };
  const pos = positions.filter((x) => x < influencingLength(cfg, T, p));
  if (pos.length === 0 || hooks.length === 0) return out;
  const start = Math.min(...pos);
  const byLayer = new Map<number, HookName[]>();
  for (const h of hooks) byLayer.set(hookInfo(h, cfg).layer, [...(byLayer.get(hookInfo(h, cfg).layer) ?? []), h]);
  const total = hooks.length * m;
  let done = 0;
  const runner = await SuffixRunner.create(model, inputPrefix(cfg, ids, p), Math.min(...byLayer.keys()));
  try {
    for (const group of byLayer.values()) {
      const jobs = group.map((h) => ({ scaled: [{ hook: h, index: null, positions: pos }] }));
      const terms = await integratedTerms(runner, suffixTarget(target), jobs, group, m, start, opts, (n) => opts.onProgress?.((done += n), total));
      group.forEach((h, j) => {
        const info = hookInfo(h, cfg);
        const U = info.units;
        const d = info.layout === 'heads' ? cfg.dHead : 1;
        const g = terms[j][h];
        const dst = out[h].data;
        for (const t of pos) {
          for (let u = 0; u < U; u++) {
            let s = 0;
            for (let k = 0; k < d; k++) s += g[((t - start) * U + u) * d + k];
            dst[t * U + u] = s;
          }
        }
      });
    }
  } finally {
    runner.dispose();
  }
  return out;
}

/** IG completeness gaps above this are reported as warnings. */
export const IG_GAP_WARN = 0.05;

/** A step count for which the midpoint rule's error (∝ 1/m²) would bring `gap` at m steps under IG_GAP_WARN. */
export function suggestSteps(m: number, gap: number): number {
  return Math.min(1024, Math.max(2 * m, Math.ceil(1.2 * m * Math.sqrt(gap / IG_GAP_WARN))));
}

/** How complete one hook's integrated gradients are. */
export interface HookCompleteness {
  /** Σ of the hook's scores (every unit, the scaled positions). */
  sum: number;
  /** F(x) − F(the hook zeroed at the scaled positions): what the sum tends to as the steps grow. */
  exact: number;
  /** |sum − exact| / max(|exact|, 1e-4). */
  gap: number;
}

/**
 * The completeness gap of per-hook integrated gradients (`scores` from hookIntegratedGradients, each hook scaled
 * alone at `positions` ≤ the target's): one batched run with each hook zeroed there.
 */
export async function igCompleteness(model: Model, ids: ModelInput, target: ResolvedTarget, scores: Record<HookName, TensorData>, positions: number[]): Promise<Record<HookName, HookCompleteness>> {
  const pos = positions.filter((x) => x < influencingLength(model.config, inputTokens(model.config, ids), target.position));
  const hooks = Object.keys(scores);
  const out: Record<HookName, HookCompleteness> = {};
  if (pos.length === 0 || hooks.length === 0) return out;
  const edits: Edit[][] = [[], ...hooks.map((h): Edit[] => [{ hook: h, index: null, op: 'zero', positions: pos }])];
  const values: number[] = [];
  for (let i = 0; i < edits.length; i += 32) {
    const chunk = edits.slice(i, i + 32);
    const r = await runModel(model, { ...batchInput(ids, chunk.length), edits: chunk, target, logits: 'none' });
    values.push(...r.targetValues!);
  }
  hooks.forEach((h, i) => {
    const exact = values[0] - values[i + 1];
    let sum = 0;
    for (const x of scores[h].data) sum += x;
    out[h] = { sum, exact, gap: Math.abs(sum - exact) / Math.max(Math.abs(exact), 1e-4) };
  });
  return out;
}
