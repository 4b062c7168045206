import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pearson, topOverlap } from '../../src/analysis/agreement';
import { attribute } from '../../src/analysis/attribution';
import { faithfulnessMeter, type MeterNode } from '../../src/analysis/faithfulness-meter';
import { patch } from '../../src/analysis/patching';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit, Target } from '../../src/engine/types';
import { ARCH_FIXTURES, fixtureDir, fixtureReference } from '../engine/arch-fixtures';

const live = () => tf.memory().numTensors - cachedTensorCount();

/** Pearson's r by the one-pass sums formula (a different computation from agreement.ts's centred two-pass one). */
function pearsonSums(x: number[], y: number[]): number {
  const n = x.length;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

/** Top-k overlap by brute force: the k-th largest |value| as a threshold (no ties in real scores). */
function overlapBrute(x: number[], y: number[], k: number): number {
  const thr = (v: number[]) => [...v].map(Math.abs).sort((a, b) => b - a)[k - 1];
  const tx = thr(x);
  const ty = thr(y);
  return x.filter((_, i) => Math.abs(x[i]) >= tx && Math.abs(y[i]) >= ty).length;
}

describe('agreement', () => {
  it('pearson matches the sums formula, is ±1 on exact linear relations and null on constant lists', () => {
    const x = [0.3, -1.2, 2.5, 0.01, 4.4, -0.7];
    const y = [1.1, 0.2, 1.9, -0.4, 3.0, 0.5];
    expect(pearson(x, y)!).toBeCloseTo(pearsonSums(x, y), 12);
    expect(pearson(x, x.map((v) => 3 - 2 * v))!).toBeCloseTo(-1, 12);
    expect(pearson(x, x.map(() => 2))).toBeNull();
    expect(pearson([1], [2])).toBeNull();
    expect(() => pearson([1, 2], [1])).toThrow(/2 values against 1/);
  });
  it('top-k overlap counts the shared nodes of the two top-k sets by magnitude, k capped at the node count', () => {
    const x = [5, -4, 3, 2, 1, 0.5];
    const y = [0.1, -9, 8, 0.2, 7, 0.3];
    // top 3 of x: {0, 1, 2}; of y: {1, 2, 4} → 2 shared.
    expect(topOverlap(x, y, 3)).toEqual({ overlap: 2, k: 3 });
    expect(topOverlap(x, y, 3).overlap).toBe(overlapBrute(x, y, 3));
    expect(topOverlap(x, y, 10)).toEqual({ overlap: 6, k: 6 });
  });
});

describe.each(ARCH_FIXTURES)('faithfulness meter on %s', (fixture) => {
  const ref = fixtureReference(fixture);
  let model: Model;
  const ids = ref.input_ids.slice(0, 7);
  const T = ids.length;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  /** Whole-prompt runs: the target of each edit list. */
  async function metricOf(prompt: number[], edits: Edit[][], target: Target): Promise<number[]> {
    const r = await runModel(model, { inputIds: edits.map(() => prompt), edits, target, logits: 'none' });
    return Array.from(r.targetValues!);
  }

  it('zero-ablation: each exact effect is F(x) − F(node zeroed) from whole-prompt runs; r and top-10 overlap over the gxa scores', async () => {
    const cfg = model.config;
    const target: Target = { kind: 'logit', token: 7, position: T - 2 };
    const p = T - 2;
    const g = await attribute(model, { ids, target, method: 'gxa', positions: 'all' });
    const nodes: MeterNode[] = [];
    for (let l = 0; l < cfg.nLayer; l++) {
      const m = g.scores[`blocks.${l}.mlp.hook_post`];
      for (const u of [0, 3, 5, 11]) nodes.push({ hook: `blocks.${l}.mlp.hook_post`, unit: u, position: p, score: m.data[p * cfg.dMlp + u] });
      const h = g.scores[`blocks.${l}.attn.hook_z`];
      for (let u = 0; u < cfg.nHead; u++) nodes.push({ hook: `blocks.${l}.attn.hook_z`, unit: u, position: p - 1, score: h.data[(p - 1) * cfg.nHead + u] });
    }
    // A node after the target position cannot change it.
    nodes.push({ hook: 'blocks.0.mlp.hook_post', unit: 2, position: T - 1, score: 0.5 });
    const before = live();
    const calls: Array<[number, number]> = [];
    const r = await faithfulnessMeter(model, { ids, target, nodes }, { onProgress: (d, t) => calls.push([d, t]) });
    expect(live()).toBe(before);
    expect(calls.at(-1)).toEqual([nodes.length, nodes.length]);
    expect(r.reference).toBe('ablation');
    const [clean] = await metricOf(ids, [[]], target);
    expect(r.baseMetric).toBeCloseTo(clean, 4);
    const edited = await metricOf(ids, nodes.map((n) => [{ hook: n.hook, index: n.unit, op: 'zero', positions: [n.position] }]), target);
    const want = edited.map((v) => clean - v);
    const scale = Math.max(1e-3, ...want.map(Math.abs));
    for (let i = 0; i < nodes.length; i++) expect(Math.abs(r.exact[i] - want[i]) / scale).toBeLessThan(1e-4);
    expect(r.exact.at(-1)).toBe(0);
    expect(Math.abs(want.at(-1)!)).toBeLessThan(1e-5);
    const scores = nodes.map((n) => n.score);
    expect(r.pearson!).toBeCloseTo(pearsonSums(scores, want), 4);
    expect(r.n).toBe(nodes.length);
    expect(r.k).toBe(10);
    expect(r.overlap).toBe(overlapBrute(scores, want, 10));
  });

  it('with a corrupted prompt: exact denoising patching from whole-prompt runs of the corrupted prompt with the clean value written in', async () => {
    const cfg = model.config;
    const corrupted = ids.slice();
    corrupted[2] = (ids[2] + 5) % cfg.vocabSize;
    corrupted[4] = (ids[4] + 11) % cfg.vocabSize;
    const target: Target = { kind: 'logit_diff', token: 7, distractor: 40 };
    const atp = await patch(model, { clean: ids, corrupted, target: 7, distractor: 40, method: 'atp', hooks: ['mlp', 'heads'] });
    const nodes: MeterNode[] = [];
    for (const p of [1, 4, T - 1]) {
      for (let l = 0; l < cfg.nLayer; l++) {
        const m = atp.scores[`blocks.${l}.mlp.hook_post`];
        for (const u of [1, 6, 9]) nodes.push({ hook: `blocks.${l}.mlp.hook_post`, unit: u, position: p, score: m.data[p * cfg.dMlp + u] });
        const h = atp.scores[`blocks.${l}.attn.hook_z`];
        for (let u = 0; u < cfg.nHead; u++) nodes.push({ hook: `blocks.${l}.attn.hook_z`, unit: u, position: p, score: h.data[p * cfg.nHead + u] });
      }
    }
    const before = live();
    const r = await faithfulnessMeter(model, { ids, target, corrupted, nodes });
    expect(live()).toBe(before);
    expect(r.reference).toBe('patching');
    // Independent: capture the clean values, write each into a whole-prompt run of the corrupted prompt.
    const hooks = [...new Set(nodes.map((n) => n.hook))];
    const src = await runModel(model, { inputIds: [ids], capture: hooks, logits: 'none' });
    const edits: Edit[][] = nodes.map((n) => {
      const a = src.activations[n.hook].data;
      if (n.hook.endsWith('mlp.hook_post')) return [{ hook: n.hook, index: n.unit, op: 'clamp', value: a[n.position * cfg.dMlp + n.unit], positions: [n.position] }];
      const vector = new Array<number>(cfg.nHead * cfg.dHead).fill(0);
      for (let j = 0; j < cfg.dHead; j++) vector[n.unit * cfg.dHead + j] = a[(n.position * cfg.nHead + n.unit) * cfg.dHead + j];
      return [
        { hook: n.hook, index: n.unit, op: 'zero', positions: [n.position] },
        { hook: n.hook, index: null, op: 'add', value: 1, vector, positions: [n.position] },
      ];
    });
    const [corruptedMetric] = await metricOf(corrupted, [[]], target);
    expect(r.baseMetric).toBeCloseTo(corruptedMetric, 4);
    const want = (await metricOf(corrupted, edits, target)).map((v) => v - corruptedMetric);
    const scale = Math.max(1e-3, ...want.map(Math.abs));
    for (let i = 0; i < nodes.length; i++) expect(Math.abs(r.exact[i] - want[i]) / scale).toBeLessThan(1e-4);
    // Position 1 reads the same token in both prompts: nothing to patch there.
    nodes.forEach((n, i) => n.position === 1 && expect(r.exact[i]).toBe(0));
    const scores = nodes.map((n) => n.score);
    expect(r.pearson!).toBeCloseTo(pearsonSums(scores, want), 4);
    expect(r.overlap).toBe(overlapBrute(scores, want, 10));
  });

  it('says what is wrong with bad input, and stops when cancelled', async () => {
    const target: Target = { kind: 'logit', token: 7 };
    const n = (o: Partial<MeterNode>): MeterNode => ({ hook: 'blocks.0.mlp.hook_post', unit: 0, position: 0, score: 1, ...o });
    await expect(faithfulnessMeter(model, { ids, target, corrupted: ids.slice(1), nodes: [n({})] })).rejects.toThrow(`the corrupted prompt has ${T - 1} tokens and the prompt ${T}`);
    await expect(faithfulnessMeter(model, { ids, target, nodes: [n({ hook: 'blocks.0.hook_resid_pre' })] })).rejects.toThrow(/only MLP neurons \(mlp.hook_post\) and heads/);
    await expect(faithfulnessMeter(model, { ids, target, nodes: [n({ unit: 1e6 })] })).rejects.toThrow(/unit 1000000, outside 0\.\./);
    await expect(faithfulnessMeter(model, { ids, target, nodes: [n({ position: T })] })).rejects.toThrow(`outside the prompt (0..${T - 1})`);
    await expect(faithfulnessMeter(model, { ids, target, nodes: [] })).rejects.toThrow(/no nodes/);
    await expect(faithfulnessMeter(model, { ids, target: { ...target, position: 2 }, corrupted: ids, nodes: [n({})] })).rejects.toThrow(/last position/);
    const ctrl = new AbortController();
    ctrl.abort();
    const before = live();
    await expect(faithfulnessMeter(model, { ids, target, nodes: [n({})] }, { signal: ctrl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(live()).toBe(before);
  });
});
