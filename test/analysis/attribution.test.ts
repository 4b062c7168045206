import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { findPath } from '../../src/analysis/path';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Target } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';

const ref = loadReference();
const ids = ref.input_ids;
const target: Target = { kind: 'logit', token: ref.target.token };
const P = ids.length - 1;

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
    const before = tf.memory().numTensors;
    const gxa = await attribute(model, { ids, target, method: 'gxa' });
    const act = await attribute(model, { ids, target, method: 'act', positions: 'all' });
    expect(tf.memory().numTensors).toBe(before);
    const a = direct.activations['blocks.1.mlp.hook_post'].data;
    const g = direct.grads['blocks.1.mlp.hook_post'].data;
    const s = gxa.scores['blocks.1.mlp.hook_post'];
    expect(s.shape).toEqual([12, 256]);
    for (const n of [0, 17, 255]) {
      expect(s.data[P * 256 + n]).toBeCloseTo(a[P * 256 + n] * g[P * 256 + n], 5);
      expect(s.data[3 * 256 + n]).toBe(0); // only the target position is attributed
      expect(act.scores['blocks.1.mlp.hook_post'].data[3 * 256 + n]).toBeCloseTo(a[3 * 256 + n], 6);
    }
    const heads = gxa.scores['blocks.0.attn.hook_z'];
    expect(heads.shape).toEqual([12, 4]);
    const z = direct.activations['blocks.0.attn.hook_z'].data;
    const gz = direct.grads['blocks.0.attn.hook_z'].data;
    let dot = 0;
    for (let j = 0; j < 16; j++) dot += z[(P * 4 + 2) * 16 + j] * gz[(P * 4 + 2) * 16 + j];
    expect(heads.data[P * 4 + 2]).toBeCloseTo(dot, 5);
  });

  it.each([0, 1])('integrated gradients are complete on layer %i (m = 64, within 1%)', async (layer) => {
    const hook = `blocks.${layer}.mlp.hook_post`;
    for (const positions of ['target', 'all'] as const) {
      const r = await attribute(model, { ids, target, method: 'ig', steps: 64, layer, positions, kinds: ['neuron'] });
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

  it('batched ablation equals individually edited runs (zero and mean, neurons and heads)', async () => {
    const means = { 'blocks.0.mlp.hook_post': new Float32Array(256).map((_, i) => 0.01 * (i % 7)) };
    const zero = await attribute(model, { ids, target, method: 'ablate', layer: 0 });
    const mean = await attribute(model, { ids, target, method: 'ablate', layer: 0, ablation: 'mean', means, kinds: ['neuron'] });
    const base = zero.targetValue;
    for (const [hook, unit] of [['blocks.0.mlp.hook_post', 5], ['blocks.0.mlp.hook_post', 200], ['blocks.0.attn.hook_z', 3]] as const) {
      const one = await runModel(model, { inputIds: [ids], edits: [{ hook, index: unit, op: 'zero', positions: [P] }], target, logits: 'none' });
      const U = hook.includes('attn') ? 4 : 256;
      expect(zero.scores[hook].data[P * U + unit]).toBeCloseTo(one.targetValues![0] - base, 4);
    }
    const m1 = await runModel(model, { inputIds: [ids], edits: [{ hook: 'blocks.0.mlp.hook_post', index: 6, op: 'mean', positions: [P] }], target, logits: 'none', means });
    expect(mean.scores['blocks.0.mlp.hook_post'].data[P * 256 + 6]).toBeCloseTo(m1.targetValues![0] - base, 4);
  });

  it('targets: logit difference and log-probability', async () => {
    const diff = await attribute(model, { ids, target: { kind: 'logit_diff', token: 123, distractor: 7 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const t1 = await attribute(model, { ids, target: { kind: 'logit', token: 123 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const t2 = await attribute(model, { ids, target: { kind: 'logit', token: 7 }, method: 'gxa', layer: 1, kinds: ['neuron'] });
    const h = 'blocks.1.mlp.hook_post';
    for (const n of [1, 50, 99]) expect(diff.scores[h].data[P * 256 + n]).toBeCloseTo(t1.scores[h].data[P * 256 + n] - t2.scores[h].data[P * 256 + n], 4);
    const lp = await attribute(model, { ids, target: { kind: 'logprob', token: 123 }, method: 'act', layer: 1 });
    expect(lp.targetValue).toBeLessThan(0);
    expect(diff.targetValue).toBeCloseTo(t1.targetValue - t2.targetValue, 4);
  });

  it('finds a path with one neuron per layer, consistent baselines and edges', async () => {
    const before = tf.memory().numTensors;
    const r = await findPath(model, { ids, target, steps: 16, beam: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.path.map((n) => n.hook)).toEqual(['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post']);
    expect(r.path.every((n) => n.position === P && n.node === `L${n.hook.split('.')[1]}.N${n.index}@${P}`)).toBe(true);
    expect(r.beams).toHaveLength(2);
    expect(r.beams[0]).toEqual(r.path);
    expect(r.runners_up[0]).toHaveLength(5);
    expect(r.runners_up[0].every((n) => n.score <= r.layerScores[0][r.path[0].index])).toBe(true);
    expect(r.edges).toHaveLength(1);
    expect(r.edges[0]).toMatchObject({ from: r.path[0].node, to: r.path[1].node });
    // Baselines agree with the attribution functions computed independently.
    const act = await attribute(model, { ids, target, method: 'act', kinds: ['neuron'] });
    const ig = await attribute(model, { ids, target, method: 'ig', steps: 16, kinds: ['neuron'] });
    for (let l = 0; l < 2; l++) {
      const h = `blocks.${l}.mlp.hook_post`;
      const row = (s: Float32Array) => Array.from(s.subarray(P * 256, (P + 1) * 256));
      const argmax = (a: number[]) => a.indexOf(Math.max(...a));
      expect(r.baselines.activation[l].index).toBe(argmax(row(act.scores[h].data)));
      expect(r.baselines.layer_ig[l].index).toBe(argmax(row(ig.scores[h].data)));
    }
    // The first step of NeuronPath scales layer 0 alone: its best candidate is the per-layer IG choice.
    const first = Array.from(r.layerScores[0]);
    expect(first.indexOf(Math.max(...first))).toBe(r.baselines.layer_ig[0].index);
    // The beam keeps the better of its paths first.
    expect(r.beams[0][1].score).toBeGreaterThanOrEqual(r.beams[1][1].score);
  });
});
