/**
 * Exact ablation effects: for every unit of some hooks at some positions, the change of the target when that unit
 * alone is zeroed (or set to its mean over a reference text) there. One edited copy of the prompt per unit and
 * position, batched into suffix runs (a unit at position j only changes positions ≥ j).
 */
import { fail } from '../engine/errors';
import { hookInfo } from '../engine/hooks';
import { influencingLength, inputPrefix, inputTokens, type ModelInput } from '../engine/inputs';
import type { Model } from '../engine/model';
import type { Edit, HookName, TensorData } from '../engine/types';
import { betweenSteps, StepBatch, type AnalysisOptions } from './options';
import { suffixBatch, SuffixRunner, suffixTarget } from './suffix';
import type { ResolvedTarget } from './targets';

export interface AblationRequest {
  /** Token ids, or a vision model's image. */
  ids: ModelInput;
  target: ResolvedTarget;
  hooks: HookName[];
  /** Positions where units are ablated (one at a time); under causal attention positions after the target's have no effect (0). */
  positions: number[];
  op?: 'zero' | 'mean';
  /** Per hook, the mean activation per feature (`mean` only); see means.ts. */
  means?: Record<HookName, Float32Array | number[]>;
}

export interface AblationResult {
  /** The target on the unedited prompt. */
  targetValue: number;
  /** Per hook [T, units]: target(ablated) − target(clean); zero where nothing was ablated. */
  scores: Record<HookName, TensorData>;
}

export async function ablationSweep(model: Model, req: AblationRequest, opts: AnalysisOptions = {}): Promise<AblationResult> {
  const cfg = model.config;
  const T = inputTokens(cfg, req.ids);
  const p = req.target.position;
  const op = req.op ?? 'zero';
  if (op === 'mean') for (const h of req.hooks) if (!req.means?.[h]) fail(`mean ablation of ${h} needs its mean activations (from a reference text)`);
  const scores: Record<HookName, TensorData> = {};
  for (const h of req.hooks) scores[h] = { shape: [T, hookInfo(h, cfg).units], data: new Float32Array(T * hookInfo(h, cfg).units) };
  const layerOf = (h: HookName) => hookInfo(h, cfg).layer;
  const reach = influencingLength(cfg, T, p);
  const positions = [...new Set(req.positions.filter((x) => x < reach))].sort((a, b) => a - b);
  const fromLayer = req.hooks.length ? Math.min(...req.hooks.map(layerOf)) : cfg.nLayer - 1;
  const runner = await SuffixRunner.create(model, inputPrefix(cfg, req.ids, p), fromLayer);
  const target = suffixTarget(req.target);
  try {
    const clean = await runner.run({ edits: [[]], targets: [target], start: p });
    const targetValue = clean.targetValues[0];
    // Jobs grouped by (position, layer), so that each batch starts as late and as high as it can.
    const groups: Array<{ pos: number; jobs: Array<{ hook: HookName; unit: number }> }> = [];
    const layers = [...new Set(req.hooks.map(layerOf))].sort((a, b) => a - b);
    for (const pos of positions) {
      for (const l of layers) {
        const jobs = req.hooks.filter((h) => layerOf(h) === l).flatMap((hook) => Array.from({ length: hookInfo(hook, cfg).units }, (_, unit) => ({ hook, unit })));
        groups.push({ pos, jobs });
      }
    }
    const total = groups.reduce((a, g) => a + g.jobs.length, 0);
    let done = 0;
    for (const { pos, jobs } of groups) {
      const steps = new StepBatch(suffixBatch(cfg, reach - pos, reach), opts);
      for (let i = 0; i < jobs.length; ) {
        await betweenSteps(opts);
        const chunk = jobs.slice(i, i + steps.size);
        i += chunk.length;
        const edits: Edit[][] = chunk.map((j) => [{ hook: j.hook, index: j.unit, op, positions: [pos] }]);
        const r = await steps.time(() => runner.run({ edits, targets: chunk.map(() => target), start: pos, means: req.means }));
        chunk.forEach((j, b) => {
          const s = scores[j.hook];
          s.data[pos * s.shape[1] + j.unit] = r.targetValues[b] - targetValue;
        });
        opts.onProgress?.((done += chunk.length), total);
      }
    }
    return { targetValue, scores };
  } finally {
    runner.dispose();
  }
}
