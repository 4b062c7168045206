import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { faithfulness, signTest } from '../../src/analysis/faithfulness';
import { integratedTerms } from '../../src/analysis/ig';
import { findPath } from '../../src/analysis/path';
import { SuffixRunner } from '../../src/analysis/suffix';
import { cachedTensorCount } from '../../src/engine/forward';
import { randomModel } from '../../src/engine/init';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit, ModelConfig, Target } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';
import { gpt2Config } from '../../src/engine/arch/gpt2';

const ref = loadReference();
const ids = ref.input_ids;
const T = ids.length;
const P = T - 1;
const target: Target = { kind: 'logit', token: ref.target.token };
const live = () => tf.memory().numTensors - cachedTensorCount();
const mlp = (l: number) => `blocks.${l}.mlp.hook_post`;

/**
 * The joint integrated gradient of NeuronPath's step at `layer`, the slow way: whole-prompt engine runs, with the
 * layer and the path's prefix scaled together. Returns per neuron n: Σ_{i ∈ prefix ∪ {n}} mean_k g_i(α_k)·v_i(α_k),
 * v_i(α) = the captured (scaled) value / α, the neuron's own value at that step.
 */
async function referenceJoint(model: Model, x: number[], tgt: Target, prefix: number[], layer: number, positions: number[], m: number): Promise<Float32Array> {
  const N = model.config.dMlp;
  const hooks = Array.from({ length: layer + 1 }, (_, l) => mlp(l));
  const edits: Edit[][] = Array.from({ length: m }, (_, k) => [
    { hook: mlp(layer), index: null, op: 'scale', value: (k + 0.5) / m, positions },
    ...prefix.map((n, l): Edit => ({ hook: mlp(l), index: n, op: 'scale', value: (k + 0.5) / m, positions })),
  ]);
  const r = await runModel(model, { inputIds: edits.map(() => x), edits, capture: hooks, target: tgt, logits: 'none' });
  const Tx = x.length;
  const term = (l: number, n: number) => {
    let s = 0;
    for (const t of positions) {
      for (let b = 0; b < m; b++) {
        const i = (b * Tx + t) * N + n;
        s += (r.grads[mlp(l)].data[i] * r.activations[mlp(l)].data[i]) / ((b + 0.5) / m) / m;
      }
    }
    return s;
  };
  const prefixScore = prefix.reduce((s, n, l) => s + term(l, n), 0);
  return Float32Array.from({ length: N }, (_, n) => prefixScore + term(layer, n));
}

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

describe('NeuronPath on the gpt2-tiny fixture', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
    await runModel(model, { inputIds: [ids] });
  });
  afterAll(() => model.dispose());

  it('each step takes the neuron with the largest joint IG given the path so far (checked against engine runs)', async () => {
    const before = live();
    const m = 8;
    const r = await findPath(model, { ids, target, steps: m });
    expect(live()).toBe(before);
    expect(r.path.map((n) => n.hook)).toEqual([mlp(0), mlp(1)]);
    expect(r.path.every((n) => n.position === P && n.node === `L${n.hook.split('.')[1]}.N${n.index}@${P}`)).toBe(true);
    for (let l = 0; l < 2; l++) {
      const want = await referenceJoint(model, ids, target, r.path.slice(0, l).map((n) => n.index), l, [P], m);
      for (const n of [0, 77, 255, r.path[l].index]) expect(r.layerScores[l][n]).toBeCloseTo(want[n], 4);
      expect(r.path[l].index).toBe(argmax(want));
      expect(r.path[l].score).toBeCloseTo(want[r.path[l].index], 4);
      expect(r.runners_up[l]).toHaveLength(5);
      expect(r.runners_up[l].map((x) => x.score)).toEqual([...r.runners_up[l].map((x) => x.score)].sort((a, b) => b - a));
      expect(r.runners_up[l][0].score).toBeLessThanOrEqual(r.path[l].score);
      expect(r.runners_up[l].some((x) => x.index === r.path[l].index)).toBe(false);
    }
    // Edge: ∂a_v/∂a_u · a_u against an engine run with an activation target.
    const e = await runModel(model, { inputIds: [ids], capture: [mlp(0)], target: { kind: 'activation', token: 0, hook: mlp(1), index: r.path[1].index, position: P }, logits: 'none' });
    const u = P * 256 + r.path[0].index;
    expect(r.edges).toHaveLength(1);
    expect(r.edges[0]).toMatchObject({ from: r.path[0].node, to: r.path[1].node });
    expect(r.edges[0].weight).toBeCloseTo(e.activations[mlp(0)].data[u] * e.grads[mlp(0)].data[u], 5);
    expect(r.targetValue).toBeCloseTo((await runModel(model, { inputIds: [ids], target, logits: 'none' })).targetValues![0], 4);
  });

  it('joint IG terms are complete across layers: a layer-0 neuron and the whole of layer 1 (m = 64)', async () => {
    const runner = await SuffixRunner.create(model, ids);
    const n0 = 36;
    const job = { scaled: [{ hook: mlp(0), index: n0, positions: [P] }, { hook: mlp(1), index: null, positions: [P] }] };
    const [terms] = await integratedTerms(runner, { kind: 'logit', token: target.token }, [job], [mlp(0), mlp(1)], 64, P);
    runner.dispose();
    const sum = terms[mlp(0)][n0] + terms[mlp(1)].reduce((a, b) => a + b, 0);
    const clean = (await runModel(model, { inputIds: [ids], target, logits: 'none' })).targetValues![0];
    const zeroed = (await runModel(model, { inputIds: [ids], edits: [{ hook: mlp(0), index: n0, op: 'zero', positions: [P] }, { hook: mlp(1), index: null, op: 'zero', positions: [P] }], target, logits: 'none' })).targetValues![0];
    expect(Math.abs(clean - zeroed)).toBeGreaterThan(0.05);
    expect(Math.abs(sum - (clean - zeroed))).toBeLessThanOrEqual(0.01 * Math.abs(clean - zeroed));
  });

  it('baselines agree with the attribution functions computed independently', async () => {
    const r = await findPath(model, { ids, target, steps: 16, seed: 3 });
    const act = await attribute(model, { ids, target, method: 'act', kinds: ['neuron'] });
    const ig = await attribute(model, { ids, target, method: 'ig', steps: 16, kinds: ['neuron'] });
    for (let l = 0; l < 2; l++) {
      const row = (s: Float32Array) => s.subarray(P * 256, (P + 1) * 256);
      expect(r.baselines.activation[l].index).toBe(argmax(row(act.scores[mlp(l)].data)));
      expect(r.baselines.layer_ig[l].index).toBe(argmax(row(ig.scores[mlp(l)].data)));
      for (const n of [0, 9, 200]) expect(r.layerIg![l][n]).toBeCloseTo(row(ig.scores[mlp(l)].data)[n], 5);
      expect(r.baselines.random[l].score).toBeCloseTo(r.layerIg![l][r.baselines.random[l].index], 6);
    }
    // NeuronPath's first step scales layer 0 alone: its choice there is the per-layer IG choice.
    expect(r.path[0].index).toBe(r.baselines.layer_ig[0].index);
    // The random path follows its seed.
    const again = await findPath(model, { ids, target, steps: 4, seed: 3 });
    expect(again.baselines.random.map((n) => n.index)).toEqual(r.baselines.random.map((n) => n.index));
  });

  it('a beam of k keeps the k best paths, best first, and never does worse than the greedy path', async () => {
    const greedy = await findPath(model, { ids, target, steps: 8 });
    const r = await findPath(model, { ids, target, steps: 8, beam: 3 });
    expect(r.beams).toHaveLength(3);
    expect(r.beams[0]).toEqual(r.path);
    const finals = r.beams.map((b) => b[1].score);
    expect(finals).toEqual([...finals].sort((a, b) => b - a));
    expect(new Set(r.beams.map((b) => b.map((n) => n.index).join())).size).toBe(3);
    expect(r.path[1].score).toBeGreaterThanOrEqual(greedy.path[1].score - 1e-6);
    // Runners-up belong to the best path's own prefix: layer 1's are scored with the path's layer-0 neuron.
    const want = await referenceJoint(model, ids, target, [r.path[0].index], 1, [P], 8);
    for (const ru of r.runners_up[1]) expect(ru.score).toBeCloseTo(want[ru.index], 4);
  });

  it('paths at an earlier position and at every position', async () => {
    const early: Target = { kind: 'logprob', token: 42, position: 9 };
    const at = await findPath(model, { ids, target: early, steps: 6, positions: 5 });
    expect(at.path.every((n) => n.position === 5 && n.node.endsWith('@5'))).toBe(true);
    const want0 = await referenceJoint(model, ids, early, [], 0, [5], 6);
    expect(at.path[0].index).toBe(argmax(want0));
    const all = await findPath(model, { ids, target: early, steps: 6, positions: 'all' });
    expect(all.positions).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all.path.every((n) => n.position === null && /^L\d\.N\d+$/.test(n.node))).toBe(true);
    const want1 = await referenceJoint(model, ids, early, [all.path[0].index], 1, all.positions!, 6);
    expect(all.path[1].index).toBe(argmax(want1));
    expect(all.path[1].score).toBeCloseTo(want1[all.path[1].index], 4);
    await expect(findPath(model, { ids, target: early, positions: 10 })).rejects.toThrow(/not after the target/);
  });

  it('exact joint attribution: F(x) − F(path ∪ {n} zeroed), the limit of the joint IG with only path ∪ {n} scaled', async () => {
    const r = await findPath(model, { ids, target, steps: 8, joint: 'exact' });
    const clean = (await runModel(model, { inputIds: [ids], target, logits: 'none' })).targetValues![0];
    const zeroed = async (set: Array<[number, number]>) =>
      (await runModel(model, { inputIds: [ids], edits: set.map(([l, n]): Edit => ({ hook: mlp(l), index: n, op: 'zero', positions: [P] })), target, logits: 'none' })).targetValues![0];
    for (const n of [0, 100, r.path[0].index]) expect(r.layerScores[0][n]).toBeCloseTo(clean - (await zeroed([[0, n]])), 4);
    expect(r.path[0].index).toBe(argmax(r.layerScores[0]));
    const n1 = r.path[1].index;
    expect(r.path[1].score).toBeCloseTo(clean - (await zeroed([[0, r.path[0].index], [1, n1]])), 4);
    expect(r.path[1].index).toBe(argmax(r.layerScores[1]));
    // The joint IG of {path[0], n1} alone (m = 64) sums to the same number.
    const m = 64;
    const set: Array<[number, number]> = [[0, r.path[0].index], [1, n1]];
    const edits: Edit[][] = Array.from({ length: m }, (_, k) => set.map(([l, n]): Edit => ({ hook: mlp(l), index: n, op: 'scale', value: (k + 0.5) / m, positions: [P] })));
    const g = await runModel(model, { inputIds: edits.map(() => ids), edits, capture: [mlp(0), mlp(1)], target, logits: 'none' });
    const a = await runModel(model, { inputIds: [ids], capture: [mlp(0), mlp(1)], logits: 'none' });
    let ig = 0;
    for (const [l, n] of set) for (let b = 0; b < m; b++) ig += (g.activations[mlp(l)].data[(b * T + P) * 256 + n] / ((b + 0.5) / m) * g.grads[mlp(l)].data[(b * T + P) * 256 + n]) / m;
    expect(Math.abs(ig - r.path[1].score)).toBeLessThan(0.01 * Math.abs(r.path[1].score) + 1e-5);
    // With the clean activation of the layer-1 neuron in place of its value at each step, the sum misses.
    let naive = 0;
    for (const [l, n] of set) for (let b = 0; b < m; b++) naive += (a.activations[mlp(l)].data[P * 256 + n] * g.grads[mlp(l)].data[(b * T + P) * 256 + n]) / m;
    expect(Math.abs(naive - r.path[1].score)).toBeGreaterThan(Math.abs(ig - r.path[1].score));
    // Baselines do not depend on the search mode.
    const layered = await findPath(model, { ids, target, steps: 8 });
    expect(r.baselines.layer_ig.map((x) => x.index)).toEqual(layered.baselines.layer_ig.map((x) => x.index));
    for (const n of [3, 30]) expect(r.layerIg![0][n]).toBeCloseTo(layered.layerIg![0][n], 5);
  });

  it('reports progress to the end and can be cancelled', async () => {
    const seen: number[][] = [];
    await findPath(model, { ids, target, steps: 10, beam: 2 }, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
    const exact: number[][] = [];
    await findPath(model, { ids, target, steps: 10, beam: 2, joint: 'exact' }, { onProgress: (d, t) => exact.push([d, t]) });
    expect(exact.at(-1)![0]).toBe(exact.at(-1)![1]);
    const before = live();
    const ctrl = new AbortController();
    const p = findPath(model, { ids, target, steps: 10 }, { signal: ctrl.signal, onProgress: () => ctrl.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(live()).toBe(before);
  });

  it('faithfulness: removing or enhancing each path changes the target probability as a direct edit does', async () => {
    const cfg: ModelConfig = gpt2Config({ nLayer: 3, nHead: 2, dModel: 16, dMlp: 32, vocabSize: 20, nCtx: 16, activation: 'gelu_new' });
    const tiny = randomModel(cfg, 11);
    const prompts = [[1, 2, 3, 4, 5, 6], [7, 3, 9, 9, 0, 1, 2], { ids: [4, 4, 4, 5, 6], token: 3 }];
    const before = live();
    const r = await faithfulness(tiny, prompts, { steps: 4, seed: 2 });
    expect(live()).toBe(before);
    expect(r.rows).toHaveLength(3);
    expect(r.rows[2].token).toBe(3);
    expect(r.summary).toHaveLength(10);
    expect(r.paired).toHaveLength(8);
    // Row 1, NeuronPath removed: the same edit by hand.
    const row = r.rows[1];
    const edits: Edit[] = row.paths!.neuronpath.map((id, l) => ({ hook: mlp(l), index: Number(/N(\d+)/.exec(id)![1]), op: 'zero', positions: [6] }));
    const probs = async (e: Edit[]) => {
      const out = await runModel(tiny, { inputIds: [[7, 3, 9, 9, 0, 1, 2]], edits: e, logits: 'last' });
      const lg = Array.from(out.logits!.data);
      const mx = Math.max(...lg);
      const z = lg.reduce((s, v) => s + Math.exp(v - mx), 0);
      return Math.exp(lg[row.token] - mx) / z;
    };
    expect(row.pClean).toBeCloseTo(await probs([]), 5);
    expect(row.delta.neuronpath.remove).toBeCloseTo((await probs(edits)) - row.pClean, 5);
    for (const c of r.paired!) expect(c.wins! + c.losses! + c.ties!).toBe(3);
    expect(signTest(0, 0)).toBe(1);
    expect(signTest(10, 0)).toBeCloseTo(2 / 1024, 10);
    expect(signTest(3, 5)).toBeCloseTo((2 * (1 + 8 + 28 + 56)) / 256, 10);
    const mean = r.summary.find((s) => s.method === 'random' && s.manipulation === 'enhance')!;
    expect(mean.mean).toBeCloseTo(r.rows.reduce((s, x) => s + x.delta.random.enhance, 0) / 3, 6);
    tiny.dispose();
  });
});
