/** Each edit kind against a directly computed expectation, on the gpt2-tiny fixture (CPU backend). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit } from '../../src/engine/types';
import { hookMeans, neuronDirection, splitWindows } from '../../src/analysis/vectors';
import { steeringEdit } from '../../src/analysis/steering';
import { affine, FIXTURE_DIR, liveTensors, maxAbsDiff, useBackend } from './helpers';

const IDS = [5, 77, 300, 12, 9, 411, 2, 64, 128, 7];
const T = IDS.length;
const POST = 'blocks.0.mlp.hook_post';
const MLP_OUT = 'blocks.0.hook_mlp_out';

let model: Model;
let M: number;
let D: number;
let cProjW: Float32Array;
let cProjB: Float32Array;
let clean: Float32Array;

beforeAll(async () => {
  await useBackend('cpu');
  model = await loadModelDir(FIXTURE_DIR);
  M = model.config.dMlp;
  D = model.config.dModel;
  cProjW = model.weights.blocks[0].mlp.out.weight.dataSync() as Float32Array;
  cProjB = model.weights.blocks[0].mlp.out.bias!.dataSync() as Float32Array;
  clean = (await runModel(model, { inputIds: [IDS], capture: [POST], logits: 'none' })).activations[POST].data;
});
afterAll(() => model.dispose());

/** Runs with one edit; checks the captured hook_post equals `expected(t, u, clean)` and hook_mlp_out = post·W + b. */
async function checkNeuronEdit(edit: Edit, expected: (t: number, u: number, x: number) => number, means?: Record<string, Float32Array>) {
  const before = liveTensors();
  const res = await runModel(model, { inputIds: [IDS], edits: [edit], capture: [POST, MLP_OUT], logits: 'none', means });
  expect(liveTensors()).toBe(before);
  const want = new Float64Array(T * M);
  for (let t = 0; t < T; t++) for (let u = 0; u < M; u++) want[t * M + u] = expected(t, u, clean[t * M + u]);
  expect(maxAbsDiff(res.activations[POST].data, want)).toBeLessThan(1e-5);
  const out = affine(want, T, M, cProjW, D, cProjB);
  expect(maxAbsDiff(res.activations[MLP_OUT].data, out)).toBeLessThan(1e-4);
  return res;
}

const at = (positions: number[] | null) => (t: number) => positions === null || positions.includes(t);

describe.each([
  ['one position', [3]],
  ['a set of positions', [1, 4, 8]],
  ['all positions', null],
] as const)('neuron edits at %s', (_label, positionsRO) => {
  const positions = positionsRO === null ? null : [...positionsRO];
  const sel = at(positions);
  const U = 17;
  it('zero', () => checkNeuronEdit({ hook: POST, index: U, op: 'zero', positions }, (t, u, x) => (u === U && sel(t) ? 0 : x)));
  it('clamp to a value', () => checkNeuronEdit({ hook: POST, index: U, op: 'clamp', value: 2.5, positions }, (t, u, x) => (u === U && sel(t) ? 2.5 : x)));
  it('scale by a value', () => checkNeuronEdit({ hook: POST, index: U, op: 'scale', value: 3, positions }, (t, u, x) => (u === U && sel(t) ? 3 * x : x)));
  it('scale by −1 flips the sign', () => checkNeuronEdit({ hook: POST, index: U, op: 'scale', value: -1, positions }, (t, u, x) => (u === U && sel(t) ? -x : x)));
  it('add a value', () => checkNeuronEdit({ hook: POST, index: U, op: 'add', value: -0.75, positions }, (t, u, x) => (u === U && sel(t) ? x - 0.75 : x)));
  it('mean over a reference text', async () => {
    const ref = splitWindows(Array.from({ length: 90 }, (_, i) => (i * 37 + 11) % 512), 40);
    const means = await hookMeans(model, [POST], ref);
    // The mean computed directly from captured activations over the reference windows.
    let want = 0;
    let n = 0;
    for (const w of ref) {
      const a = (await runModel(model, { inputIds: [w], capture: [POST], logits: 'none' })).activations[POST].data;
      for (let t = 0; t < w.length; t++) (want += a[t * M + U]), n++;
    }
    expect(means[POST][U]).toBeCloseTo(want / n, 5);
    await checkNeuronEdit({ hook: POST, index: U, op: 'mean', positions }, (t, u, x) => (u === U && sel(t) ? means[POST][U] : x), means);
  });
});

describe('other edits', () => {
  it('hook means are computed once per model and reference, then cached', async () => {
    const ref = [[1, 2, 3, 4, 5, 6]];
    const a = await hookMeans(model, [POST], ref);
    const b = await hookMeans(model, [POST, MLP_OUT], [[1, 2, 3, 4, 5, 6]]);
    expect(b[POST]).toBe(a[POST]);
    expect(b[MLP_OUT].length).toBe(D);
  });

  it('attention-head ablation zeroes the head in hook_z, and hook_attn_out = z·W_O + b', async () => {
    const { nHead: H, dHead: dh } = model.config;
    const Z = 'blocks.1.attn.hook_z';
    const OUT = 'blocks.1.hook_attn_out';
    const head = 2;
    const base = (await runModel(model, { inputIds: [IDS], capture: [Z], logits: 'none' })).activations[Z].data;
    const res = await runModel(model, { inputIds: [IDS], edits: [{ hook: Z, index: head, op: 'zero', positions: null }], capture: [Z, OUT], logits: 'none' });
    const want = Float64Array.from(base);
    for (let t = 0; t < T; t++) for (let j = 0; j < dh; j++) want[(t * H + head) * dh + j] = 0;
    expect(maxAbsDiff(res.activations[Z].data, want)).toBeLessThan(1e-6);
    const W = model.weights.blocks[1].attn.o.weight.dataSync();
    const b = model.weights.blocks[1].attn.o.bias!.dataSync();
    expect(maxAbsDiff(res.activations[OUT].data, affine(want, T, D, W, D, b))).toBeLessThan(1e-4);
  });

  it('steering adds α·v to the residual stream at the chosen positions', async () => {
    const R = 'blocks.1.hook_resid_pre';
    const v = Array.from({ length: D }, (_, i) => Math.sin(i + 1));
    const base = (await runModel(model, { inputIds: [IDS], capture: [R], logits: 'none' })).activations[R].data;
    const edit = steeringEdit(model.config, { layer: 1, point: 'hook_resid_pre', vector: v, alpha: 1.5, positions: [2, 5] });
    const res = await runModel(model, { inputIds: [IDS], edits: [edit], capture: [R], logits: 'none' });
    const want = Float64Array.from(base);
    for (const t of [2, 5]) for (let i = 0; i < D; i++) want[t * D + i] += 1.5 * v[i];
    expect(maxAbsDiff(res.activations[R].data, want)).toBeLessThan(1e-5);
  });

  it('steering at hook_resid_post of the last block moves the logits by α·(v through ln_final)', async () => {
    const v = await neuronDirection(model, 0, 5);
    const edit = steeringEdit(model.config, { layer: 1, point: 'hook_resid_post', vector: v, alpha: 4, positions: null });
    const res = await runModel(model, { inputIds: [IDS], edits: [edit], capture: ['blocks.1.hook_resid_post'], logits: 'none' });
    const base = (await runModel(model, { inputIds: [IDS], capture: ['blocks.1.hook_resid_post'], logits: 'none' })).activations['blocks.1.hook_resid_post'].data;
    const want = Float64Array.from(base, (x, i) => x + 4 * v[i % D]);
    expect(maxAbsDiff(res.activations['blocks.1.hook_resid_post'].data, want)).toBeLessThan(1e-5);
  });

  it('steering with α = 0 equals the clean run exactly', async () => {
    const v = Array.from({ length: D }, (_, i) => (i % 3) - 1);
    const edit = steeringEdit(model.config, { layer: 0, vector: v, alpha: 0, positions: null });
    const a = await runModel(model, { inputIds: [IDS] });
    const b = await runModel(model, { inputIds: [IDS], edits: [edit] });
    expect(Array.from(b.logits!.data)).toEqual(Array.from(a.logits!.data));
  });

  it('the neuron output direction is its row of c_proj', async () => {
    const v = await neuronDirection(model, 1, 9);
    const W = model.weights.blocks[1].mlp.out.weight.dataSync();
    expect(Array.from(v)).toEqual(Array.from(W.slice(9 * D, 10 * D)));
    await expect(neuronDirection(model, 2, 0)).rejects.toThrow(/layer 2 does not exist/);
    await expect(neuronDirection(model, 0, M)).rejects.toThrow(/out of range/);
  });

  it('steering refuses a vector of the wrong length or a missing layer', () => {
    expect(() => steeringEdit(model.config, { layer: 0, vector: [1, 2], alpha: 1 })).toThrow(/has 2 values/);
    expect(() => steeringEdit(model.config, { layer: 9, vector: new Array(D).fill(0), alpha: 1 })).toThrow(/layer 9 does not exist/);
  });
});
