import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { referenceMeans, referenceWindows } from '../../src/analysis/means';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit, Target } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';

const ref = loadReference();
const ids = ref.input_ids;
const T = ids.length;
const target: Target = { kind: 'logit', token: ref.target.token };
const P = T - 1;
const live = () => tf.memory().numTensors - cachedTensorCount();

/** Integrated gradients the slow way: whole-prompt engine runs, one α at a time. */
async function referenceIg(model: Model, target: Target, hook: string, positions: number[] | null, m: number): Promise<Float32Array> {
  const clean = await runModel(model, { inputIds: [ids], capture: [hook], logits: 'none' });
  const a = clean.activations[hook].data;
  const sum = new Float32Array(a.length);
  for (let k = 0; k < m; k++) {
    const r = await runModel(model, { inputIds: [ids], edits: [{ hook, index: null, op: 'scale', value: (k + 0.5) / m, positions }], capture: [hook], target, logits: 'none' });
    for (let j = 0; j < a.length; j++) sum[j] += (a[j] * r.grads[hook].data[j]) / m;
  }
  return sum;
}

describe('attribution on the gpt2-tiny fixture', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
    await runModel(model, { inputIds: [ids] });
  });
  afterAll(() => model.dispose());

  it('act, grad and gxa agree with a direct gradient run, neurons and heads', async () => {
    const direct = await runModel(model, { inputIds: [ids], capture: ['blocks.1.mlp.hook_post', 'blocks.0.attn.hook_z'], target, logits: 'none' });
    const before = live();
    const gxa = await attribute(model, { ids, target, method: 'gxa' });
    const act = await attribute(model, { ids, target, method: 'act', positions: 'all' });
    const grad = await attribute(model, { ids, target, method: 'grad', positions: 'all' });
    expect(live()).toBe(before);
    expect(act.targetValue).toBeCloseTo(gxa.targetValue, 4);
    const a = direct.activations['blocks.1.mlp.hook_post'].data;
    const g = direct.grads['blocks.1.mlp.hook_post'].data;
    const s = gxa.scores['blocks.1.mlp.hook_post'];
    expect(s.shape).toEqual([T, 256]);
    for (const n of [0, 17, 255]) {
      expect(s.data[P * 256 + n]).toBeCloseTo(a[P * 256 + n] * g[P * 256 + n], 5);
      expect(s.data[3 * 256 + n]).toBe(0); // only the target position is attributed
      expect(act.scores['blocks.1.mlp.hook_post'].data[3 * 256 + n]).toBeCloseTo(a[3 * 256 + n], 6);
      expect(grad.scores['blocks.1.mlp.hook_post'].data[3 * 256 + n]).toBeCloseTo(g[3 * 256 + n], 6);
    }
    const heads = gxa.scores['blocks.0.attn.hook_z'];
    expect(heads.shape).toEqual([T, 4]);
    const z = direct.activations['blocks.0.attn.hook_z'].data;
    const gz = direct.grads['blocks.0.attn.hook_z'].data;
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < 16; j++) {
      dot += z[(P * 4 + 2) * 16 + j] * gz[(P * 4 + 2) * 16 + j];
      norm += z[(P * 4 + 2) * 16 + j] ** 2;
    }
    expect(heads.data[P * 4 + 2]).toBeCloseTo(dot, 5);
    expect(act.scores['blocks.0.attn.hook_z'].data[P * 4 + 2]).toBeCloseTo(Math.sqrt(norm), 5);
  });

  it.each([0, 1])('integrated gradients are complete on layer %i (m = 64, within 1%)', async (layer) => {
    const hook = `blocks.${layer}.mlp.hook_post`;
    for (const positions of ['target', 'all'] as const) {
      const before = live();
      const r = await attribute(model, { ids, target, method: 'ig', steps: 64, layer, positions, kinds: ['neuron'] });
      expect(live()).toBe(before);
      const sum = r.scores[hook].data.reduce((x, y) => x + y, 0);
      const zeroed = await runModel(model, {
        inputIds: [ids],
        edits: [{ hook, index: null, op: 'zero', positions: positions === 'all' ? null : [P] }],
        target,
        logits: 'none',
      });
      const delta = r.targetValue - zeroed.targetValues![0];
      expect(Math.abs(delta)).toBeGreaterThan(0.05);
      expect(Math.abs(sum - delta)).toBeLessThanOrEqual(0.01 * Math.abs(delta));
    }
  });

  it('integrated gradients equal the one-α-at-a-time computation (all positions, an earlier target, heads)', async () => {
    const early: Target = { kind: 'logprob', token: 99, position: 7 };
    const m = 6;
    const r = await attribute(model, { ids, target: early, method: 'ig', steps: m, positions: 'all' });
    const want = await referenceIg(model, early, 'blocks.0.mlp.hook_post', null, m);
    const got = r.scores['blocks.0.mlp.hook_post'].data;
    for (let t = 0; t < T; t++) {
      for (const n of [2, 100, 250]) expect(got[t * 256 + n]).toBeCloseTo(t <= 7 ? want[t * 256 + n] : 0, 5);
    }
    const wantZ = await referenceIg(model, early, 'blocks.1.attn.hook_z', null, m);
    const gotZ = r.scores['blocks.1.attn.hook_z'].data;
    for (let t = 0; t <= 7; t++) {
      for (let h = 0; h < 4; h++) {
        let s = 0;
        for (let j = 0; j < 16; j++) s += wantZ[(t * 4 + h) * 16 + j];
        expect(gotZ[t * 4 + h]).toBeCloseTo(s, 5);
      }
    }
  });

  it('batched ablation equals individually edited runs (zero and mean, neurons and heads, every position)', async () => {
    const means = { 'blocks.0.mlp.hook_post': new Float32Array(256).map((_, i) => 0.01 * (i % 7)) };
    const before = live();
    const zero = await attribute(model, { ids, target, method: 'ablate', layer: 0 });
    const mean = await attribute(model, { ids, target, method: 'ablate', layer: 0, ablation: 'mean', means, kinds: ['neuron'] });
    const early: Target = { kind: 'logit_diff', token: 5, distractor: 9, position: 8 };
    const all = await attribute(model, { ids, target: early, method: 'ablate', positions: 'all', kinds: ['head'] });
    expect(live()).toBe(before);
    const base = zero.targetValue;
    const clean = await runModel(model, { inputIds: [ids], target, logits: 'none' });
    expect(base).toBeCloseTo(clean.targetValues![0], 4);
    for (const [hook, unit] of [['blocks.0.mlp.hook_post', 5], ['blocks.0.mlp.hook_post', 200], ['blocks.0.attn.hook_z', 3]] as const) {
      const one = await runModel(model, { inputIds: [ids], edits: [{ hook, index: unit, op: 'zero', positions: [P] }], target, logits: 'none' });
      const U = hook.includes('attn') ? 4 : 256;
      // One sign convention with gxa and IG: F(x) − F(node zeroed), positive when the node supports the target.
      expect(zero.scores[hook].data[P * U + unit]).toBeCloseTo(base - one.targetValues![0], 4);
    }
    const m1 = await runModel(model, { inputIds: [ids], edits: [{ hook: 'blocks.0.mlp.hook_post', index: 6, op: 'mean', positions: [P] }], target, logits: 'none', means });
    expect(mean.scores['blocks.0.mlp.hook_post'].data[P * 256 + 6]).toBeCloseTo(base - m1.targetValues![0], 4);
    // Every head at every position, one run each, against the batched sweep.
    const edits: Edit[][] = [];
    for (let t = 0; t < T; t++) for (let l = 0; l < 2; l++) for (let h = 0; h < 4; h++) edits.push([{ hook: `blocks.${l}.attn.hook_z`, index: h, op: 'zero', positions: [t] }]);
    const ind = await runModel(model, { inputIds: edits.map(() => ids), edits, target: early, logits: 'none' });
    const c = await runModel(model, { inputIds: [ids], target: early, logits: 'none' });
    let i = 0;
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < 2; l++) {
        for (let h = 0; h < 4; h++, i++) {
          const got = all.scores[`blocks.${l}.attn.hook_z`].data[t * 4 + h];
          expect(got).toBeCloseTo(c.targetValues![0] - ind.targetValues![i], 4);
          if (t > 8) expect(got).toBe(0);
        }
      }
    }
  });

  it('targets: logit difference and log-probability', async () => {
    const diff = await attribute(model, { ids, target: { kind: 'logit_diff', token: 123, distractor: 7 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const t1 = await attribute(model, { ids, target: { kind: 'logit', token: 123 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const t2 = await attribute(model, { ids, target: { kind: 'logit', token: 7 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const h = 'blocks.1.mlp.hook_post';
    for (const n of [1, 50, 99]) expect(diff.scores[h].data[P * 256 + n]).toBeCloseTo(t1.scores[h].data[P * 256 + n] - t2.scores[h].data[P * 256 + n], 4);
    const lp = await attribute(model, { ids, target: { kind: 'logprob', token: 123 }, method: 'act', layer: 1 });
    const lpg = await attribute(model, { ids, target: { kind: 'logprob', token: 123 }, method: 'gxa', layer: 1 });
    expect(lp.targetValue).toBeLessThan(0);
    expect(lp.targetValue).toBeCloseTo(lpg.targetValue, 4);
    expect(diff.targetValue).toBeCloseTo(t1.targetValue - t2.targetValue, 4);
    await expect(attribute(model, { ids, target: { kind: 'logit', token: 1, position: T }, method: 'gxa' })).rejects.toThrow(/outside the prompt/);
    await expect(attribute(model, { ids, target: { kind: 'logit_diff', token: 1 }, method: 'gxa' })).rejects.toThrow(/distractor/);
  });

  it('reports progress and stops on cancellation without leaking tensors', async () => {
    const seen: Array<[number, number]> = [];
    await attribute(model, { ids, target, method: 'ig', steps: 40, kinds: ['neuron'] }, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.at(-1)).toEqual([80, 80]);
    expect(seen.every(([d], i) => i === 0 || d > seen[i - 1][0])).toBe(true);
    const before = live();
    const ctrl = new AbortController();
    let calls = 0;
    const p = attribute(model, { ids, target, method: 'ablate', layer: 0 }, { signal: ctrl.signal, onProgress: () => ++calls === 2 && ctrl.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(2);
    expect(live()).toBe(before);
  });

  it('mean activations over a reference text', async () => {
    const text = '3,77,400,12,9,9,1\n\n5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22\n';
    const ref = referenceWindows(model, text, 'test text', 8);
    const windows = ref.windows;
    expect(ref.policy).toMatchObject({ source: 'test text', windows: 4, tokens: 25, windowTokens: 8 });
    expect(windows).toEqual([[3, 77, 400, 12, 9, 9, 1], [5, 6, 7, 8, 9, 10, 11, 12], [13, 14, 15, 16, 17, 18, 19, 20], [21, 22]]);
    const means = await referenceMeans(model, ['blocks.1.mlp.hook_post', 'blocks.0.attn.hook_z'], ref);
    const sums = new Float64Array(256);
    for (const w of windows) {
      const r = await runModel(model, { inputIds: [w], capture: ['blocks.1.mlp.hook_post'], logits: 'none' });
      for (let t = 0; t < w.length; t++) for (let n = 0; n < 256; n++) sums[n] += r.activations['blocks.1.mlp.hook_post'].data[t * 256 + n];
    }
    for (const n of [0, 31, 255]) expect(means['blocks.1.mlp.hook_post'][n]).toBeCloseTo(sums[n] / 25, 5);
    expect(means['blocks.0.attn.hook_z']).toHaveLength(64);
  });
});
