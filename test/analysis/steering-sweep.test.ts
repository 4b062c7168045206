/** The steering sweep against independent computations: the final norm and unembedding by hand, and single runs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steeringSweep, sweepStrengths } from '../../src/analysis/steering-sweep';
import { steeringEdit } from '../../src/analysis/steering';
import { generate } from '../../src/analysis/generate';
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { unembedMatrix } from '../../src/engine/weights';
import { liveTensors, tinyCharModel, useBackend } from '../interventions/helpers';

let model: Model;
beforeAll(async () => {
  await useBackend('cpu');
  model = tinyCharModel({ nLayer: 2, dModel: 16 });
});
afterAll(() => model.dispose());

const ids = [3, 7, 1, 12, 5, 9];
const D = 16;
const vector = Array.from({ length: D }, (_, i) => Math.sin(i + 1) * 0.8);

/** log p(t) at the last position with α·v added to the last block's resid_post, computed by hand (LayerNorm, W_U). */
async function byHand(alpha: number, t: number): Promise<number> {
  const L = model.config.nLayer - 1;
  const hook = `blocks.${L}.hook_resid_post`;
  const x = (await runModel(model, { inputIds: [ids], capture: [hook], logits: 'none' })).activations[hook].data;
  const last = Array.from({ length: D }, (_, i) => x[(ids.length - 1) * D + i] + alpha * vector[i]);
  const mean = last.reduce((a, b) => a + b, 0) / D;
  const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / D;
  const w = await model.weights.lnFinal.weight.data();
  const b = model.weights.lnFinal.bias ? await model.weights.lnFinal.bias.data() : new Float32Array(D);
  const normed = last.map((v, i) => ((v - mean) / Math.sqrt(variance + model.config.layerNormEps)) * w[i] + b[i]);
  const U = await unembedMatrix(model.weights).data(); // [V, D]
  const V = model.config.vocabSize;
  const logits = Array.from({ length: V }, (_, r) => normed.reduce((s, n, i) => s + n * U[r * D + i], 0));
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
  return logits[t] - lse;
}

describe('steering sweep', () => {
  it('gives, per strength, the target log-probability that the final norm and unembedding give by hand', async () => {
    const alphas = sweepStrengths(-8, 8, 4);
    expect(alphas).toEqual([-8, -4, 0, 4, 8]);
    const target = 5;
    const before = liveTensors();
    const r = await steeringSweep(model, { ids, layer: model.config.nLayer - 1, point: 'hook_resid_post', vector, positions: null, alphas, target, maxTokens: 0 });
    expect(liveTensors()).toBe(before);
    expect(r.hook).toBe('blocks.1.hook_resid_post');
    expect(r.vectorNorm).toBeCloseTo(Math.hypot(...vector), 6);
    for (const row of r.rows) {
      expect(row.logprob).toBeCloseTo(await byHand(row.alpha, target), 4);
      expect(row.prob).toBeCloseTo(Math.exp(row.logprob), 6);
    }
    // The strengths really move the target: the five log-probabilities are not all equal.
    expect(Math.max(...r.rows.map((x) => x.logprob)) - Math.min(...r.rows.map((x) => x.logprob))).toBeGreaterThan(0.05);
  });

  it('matches a run per strength with the steering edit, including rank, top token and the greedy continuation, on top of other edits', async () => {
    const other = [{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero' as const, positions: null }];
    const alphas = [-3, 0, 2.5];
    const r = await steeringSweep(model, { ids, layer: 1, vector, positions: [2, 4], alphas, target: 9, edits: other, maxTokens: 6 });
    for (const row of r.rows) {
      const edit = steeringEdit(model.config, { layer: 1, vector, alpha: row.alpha, positions: [2, 4] });
      const res = await runModel(model, { inputIds: [ids], edits: [...other, edit], logits: 'last' });
      const logits = Array.from(res.logits!.data);
      const order = logits.map((l, i) => [l, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      expect(row.logit).toBeCloseTo(logits[9], 5);
      expect(row.rank).toBe(order.findIndex(([, i]) => i === 9) + 1);
      expect(row.top.id).toBe(order[0][1]);
      const g = await generate(model, { inputIds: ids, edits: [...other, edit], maxTokens: 6 });
      expect(row.generated).toEqual(g.edited);
    }
  });

  it('refuses bad strengths, targets and vectors with the reason', async () => {
    expect(() => sweepStrengths(8, -8, 1)).toThrow(/must not be below/);
    expect(() => sweepStrengths(-8, 8, 0)).toThrow(/above 0/);
    expect(() => sweepStrengths(-100, 100, 1)).toThrow(/at most 41/);
    await expect(steeringSweep(model, { ids, layer: 0, vector, positions: null, alphas: [1], target: 999, maxTokens: 0 })).rejects.toThrow(/not in the vocabulary/);
    await expect(steeringSweep(model, { ids, layer: 0, vector: [1, 2], positions: null, alphas: [1], target: 1, maxTokens: 0 })).rejects.toThrow(/has 2 values; the residual stream has 16/);
    await expect(steeringSweep(model, { ids, layer: 5, vector, positions: null, alphas: [1], target: 1, maxTokens: 0 })).rejects.toThrow(/layer 5 does not exist/);
  });
});
