/**
 * The audit's fixes: the path's exact prefix-removal effects beside its layer-scaled score, IG completeness gaps
 * with warnings and more steps, the grad × act baseline, a distribution over random paths with bootstrap
 * intervals, and one sign convention for ablation, gxa and IG.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { bootstrapCi, faithfulness } from '../../src/analysis/faithfulness';
import { suggestSteps } from '../../src/analysis/ig';
import { findPath } from '../../src/analysis/path';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit, Target } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';

const ref = loadReference();
const ids = ref.input_ids;
const T = ids.length;
const P = T - 1;
const target: Target = { kind: 'logit', token: ref.target.token };
const mlp = (l: number) => `blocks.${l}.mlp.hook_post`;

describe('audit fixes on the gpt2-tiny fixture', () => {
  let model: Model;
  let F: number;
  const value = async (edits: Edit[]) => (await runModel(model, { inputIds: [ids], edits, target, logits: 'none' })).targetValues![0];
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
    F = await value([]);
  });
  afterAll(() => model.dispose());

  it('path: every step reports F(x) − F(path up to it zeroed) beside the layer-scaled score, labelled', async () => {
    const r = await findPath(model, { ids, target, steps: 8, beam: 2 });
    expect(r.scoreKind).toBe('layer_scaled_joint_ig');
    for (const path of r.beams) {
      for (let l = 0; l < path.length; l++) {
        const zeroed = await value(path.slice(0, l + 1).map((n): Edit => ({ hook: n.hook, index: n.index, op: 'zero', positions: [P] })));
        expect(path[l].removal).toBeCloseTo(F - zeroed, 4);
      }
    }
    // At layer 0 the layer-scaled score is the neuron's IG with the whole layer scaled: not its removal effect.
    expect(Math.abs(r.path[0].score - r.path[0].removal!)).toBeGreaterThan(1e-3);
    const exact = await findPath(model, { ids, target, steps: 8, joint: 'exact' });
    expect(exact.scoreKind).toBe('exact_removal');
    for (const n of exact.path) expect(n.removal).toBeCloseTo(n.score, 4);
  });

  it('path: per-layer IG completeness against the layer zeroed, and the grad × act baseline', async () => {
    const r = await findPath(model, { ids, target, steps: 8 });
    const gxa = await attribute(model, { ids, target, method: 'gxa', kinds: ['neuron'] });
    for (let l = 0; l < 2; l++) {
      const c = r.igCompleteness![l];
      expect(c.exact).toBeCloseTo(F - (await value([{ hook: mlp(l), index: null, op: 'zero', positions: [P] }])), 4);
      expect(c.sum).toBeCloseTo(r.layerIg![l].reduce((a, b) => a + b, 0), 4);
      expect(c.gap).toBeCloseTo(Math.abs(c.sum - c.exact) / Math.max(Math.abs(c.exact), 1e-4), 6);
      const row = Array.from(gxa.scores[mlp(l)].data.subarray(P * 256, (P + 1) * 256));
      const best = row.indexOf(Math.max(...row));
      expect(r.baselines.gxa![l].index).toBe(best);
      expect(r.baselines.gxa![l].score).toBeCloseTo(row[best], 4);
    }
    expect(r.warnings!.length).toBe(r.igCompleteness!.filter((c) => c.gap > 0.05).length);
  });

  it('attribute ig: completeness per hook, a warning above 5% naming more steps, and maxGap doubling the steps', async () => {
    const coarse = await attribute(model, { ids, target, method: 'ig', steps: 1, kinds: ['neuron'] });
    expect(coarse.steps).toBe(1);
    for (let l = 0; l < 2; l++) {
      const c = coarse.completeness![mlp(l)];
      expect(c.exact).toBeCloseTo(F - (await value([{ hook: mlp(l), index: null, op: 'zero', positions: [P] }])), 4);
      expect(c.sum).toBeCloseTo(coarse.scores[mlp(l)].data.reduce((a, b) => a + b, 0), 4);
    }
    const bad = Object.entries(coarse.completeness!).filter(([, c]) => c.gap > 0.05);
    expect(bad.length).toBeGreaterThan(0);
    expect(coarse.warnings).toHaveLength(bad.length);
    expect(coarse.warnings![0]).toMatch(new RegExp(`${bad[0][0].replaceAll('.', '\\.')} miss completeness by [\\d.]+% with m = 1 steps.*--steps \\d+`));
    const auto = await attribute(model, { ids, target, method: 'ig', steps: 1, maxGap: 0.05, kinds: ['neuron'] });
    expect(auto.steps).toBeGreaterThan(1);
    expect(Math.log2(auto.steps!) % 1).toBe(0);
    expect(Math.max(...Object.values(auto.completeness!).map((c) => c.gap))).toBeLessThanOrEqual(0.05);
    expect(auto.warnings).toEqual([]);
    expect(suggestSteps(20, 0.18)).toBeGreaterThanOrEqual(40);
  });

  it('ablation, gxa and IG share one sign: positive when the node supports the target', async () => {
    const abl = await attribute(model, { ids, target, method: 'ablate', kinds: ['neuron'], layer: 1 });
    const ig = await attribute(model, { ids, target, method: 'ig', steps: 64, kinds: ['neuron'], layer: 1 });
    const a = abl.scores[mlp(1)].data.subarray(P * 256);
    const g = ig.scores[mlp(1)].data.subarray(P * 256);
    // The layer-1 neurons with the largest effects have the same sign under both methods.
    const top = Array.from(a, (x, i) => [Math.abs(x), i]).sort((x, y) => y[0] - x[0]).slice(0, 5).map(([, i]) => i);
    for (const n of top) expect(Math.sign(a[n])).toBe(Math.sign(g[n]));
    const n = top[0];
    expect(a[n]).toBeCloseTo(F - (await value([{ hook: mlp(1), index: n, op: 'zero', positions: [P] }])), 4);
  });

  it('faithfulness: the gxa path, ≥ 20 random paths per prompt and bootstrap intervals over prompts', async () => {
    const prompts = [ids.slice(0, 8), ids.slice(2), ids.slice(1, 10)];
    const r = await faithfulness(model, prompts, { steps: 4, seed: 5, randomPaths: 20, bootstrap: 500 });
    for (const row of r.rows) {
      expect(row.randomPaths!.remove).toHaveLength(20);
      expect(row.randomPaths!.enhance).toHaveLength(20);
      expect(row.paths!.gxa).toHaveLength(2);
    }
    for (const s of r.summary) {
      expect(s.ci95![0]).toBeLessThanOrEqual(s.mean + 1e-12);
      expect(s.ci95![1]).toBeGreaterThanOrEqual(s.mean - 1e-12);
    }
    const rem = r.random!.find((x) => x.manipulation === 'remove')!;
    const all = r.rows.flatMap((x) => x.randomPaths!.remove);
    expect(rem.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 10);
    expect(rem.q05).toBeLessThanOrEqual(rem.q50);
    expect(rem.q50).toBeLessThanOrEqual(rem.q95);
    expect(rem.neuronpathPercentile).toBeGreaterThanOrEqual(0);
    expect(rem.neuronpathPercentile).toBeLessThanOrEqual(1);
    // The gxa path removed by hand.
    const row = r.rows[1];
    const one = await findPath(model, { ids: prompts[1], target: { kind: 'logit', token: row.token }, steps: 4, runnersUp: 0 });
    const edits: Edit[] = one.baselines.gxa!.map((n) => ({ hook: n.hook, index: n.index, op: 'zero', positions: [prompts[1].length - 1] }));
    const lg = Array.from((await runModel(model, { inputIds: [prompts[1]], edits, logits: 'last' })).logits!.data);
    const mx = Math.max(...lg);
    const p = Math.exp(lg[row.token] - mx) / lg.reduce((s, v) => s + Math.exp(v - mx), 0);
    expect(row.delta.gxa!.remove).toBeCloseTo(p - row.pClean, 5);
    // The bootstrap: a constant sample has a zero-width interval; a wide one covers its mean.
    expect(bootstrapCi([0.3, 0.3, 0.3])).toEqual([0.3, 0.3]);
    const [lo, hi] = bootstrapCi([0, 1, 0, 1, 0, 1, 0, 1], 2000, 3);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
  });
});
