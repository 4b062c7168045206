import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directLogitAttribution, logitLens } from '../../src/analysis/dla';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { ARCH_FIXTURES, fixtureDir, fixtureReference } from '../engine/arch-fixtures';

const live = () => tf.memory().numTensors - cachedTensorCount();

describe.each(ARCH_FIXTURES)('direct logit attribution and logit lens on %s', (fixture) => {
  const ref = fixtureReference(fixture);
  const ids = ref.input_ids;
  const T = ids.length;
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  it('heads + neurons + biases + embeddings + the final-norm bias sum to the metric at every position (frozen scale)', async () => {
    const cfg = model.config;
    const before = live();
    const r = await directLogitAttribution(model, { ids, target: 7, distractor: 40 });
    expect(live()).toBe(before);
    expect(r.metric).toBe('logit_diff');
    const parts = [...Object.values(r.scores).map((s) => ({ s, N: s.shape[1] })), ...Object.values(r.terms).map((s) => ({ s: { data: s }, N: 1 }))];
    const sums = new Float64Array(T);
    for (const { s, N } of parts) for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) sums[t] += s.data[t * N + n];
    const scale = Math.max(1, ...Array.from(r.values, Math.abs));
    for (let t = 0; t < T; t++) {
      expect(Math.abs(sums[t] - r.values[t]) / scale).toBeLessThan(1e-4);
      expect(r.reconstruction[t]).toBeCloseTo(sums[t], 4);
    }
    // Every kind of part is needed: leaving out any that is not zero breaks the identity.
    const learned = cfg.positions === 'learned';
    const needed = ['embed', ...(learned ? ['pos_embed'] : []), 'ln_final.b', 'blocks.0.attn.b_O', 'blocks.1.mlp.b_out'];
    for (const k of needed) {
      const term = r.terms[k];
      expect(term, k).toBeDefined();
      const worst = Math.max(...Array.from(term, Math.abs));
      if (worst > 1e-3) expect(Math.max(...Array.from(term, (x, t) => Math.abs(sums[t] - x - r.values[t])))).toBeGreaterThan(1e-3);
    }
    // Biases: exactly the architecture's (Llama has none, GPT-2, GPT-Neo and Pythia have output biases).
    expect(Math.max(...Array.from(r.terms['blocks.0.mlp.b_out'], Math.abs)) > 0).toBe(cfg.bias.mlp);
    expect(Math.max(...Array.from(r.terms['ln_final.b'], Math.abs)) > 0).toBe(cfg.norm === 'layernorm');
  });

  it('one neuron and one head computed by hand: activation · (W_out row or W_O slice) · s_t · centred(γ ∘ u)', async () => {
    const cfg = model.config;
    const { dModel: D, dHead: dh, dMlp: M, nHead: H } = cfg;
    const r = await directLogitAttribution(model, { ids, target: 11 });
    const cap = await runModel(model, { inputIds: [ids], capture: ['blocks.1.hook_resid_post', 'blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z'], logits: 'none' });
    const x = cap.activations['blocks.1.hook_resid_post'].data;
    const E = (model.weights.unembed ?? model.weights.embed).dataSync();
    const gamma = model.weights.lnFinal.weight.dataSync();
    const wOut = model.weights.blocks[0].mlp.out.weight.dataSync();
    const wO = model.weights.blocks[1].attn.o.weight.dataSync();
    const post = cap.activations['blocks.0.mlp.hook_post'].data;
    const z = cap.activations['blocks.1.attn.hook_z'].data;
    for (const t of [0, T - 1]) {
      let mu = 0;
      if (cfg.norm === 'layernorm') for (let i = 0; i < D; i++) mu += x[t * D + i] / D;
      let v = 0;
      for (let i = 0; i < D; i++) v += (x[t * D + i] - mu) ** 2 / D;
      const s = 1 / Math.sqrt(v + cfg.layerNormEps);
      expect(r.scale[t]).toBeCloseTo(s, 3);
      const dir = Array.from({ length: D }, (_, i) => gamma[i] * E[11 * D + i]);
      const dm = cfg.norm === 'layernorm' ? dir.reduce((a, b) => a + b, 0) / D : 0;
      const read = (vec: (i: number) => number) => {
        let acc = 0;
        for (let i = 0; i < D; i++) acc += vec(i) * s * (dir[i] - dm);
        return acc;
      };
      const n = 5;
      expect(r.scores['blocks.0.mlp.hook_post'].data[t * M + n]).toBeCloseTo(read((i) => post[t * M + n] * wOut[n * D + i]), 4);
      const h = H - 1;
      const head = (i: number) => {
        let acc = 0;
        for (let j = 0; j < dh; j++) acc += z[(t * H + h) * dh + j] * wO[(h * dh + j) * D + i];
        return acc;
      };
      expect(r.scores['blocks.1.attn.hook_z'].data[t * H + h]).toBeCloseTo(read(head), 4);
    }
  });

  it('the logit lens: the last resid_post reads the model\'s metric, resid_post(l) = resid_pre(l + 1), top tokens', async () => {
    const cfg = model.config;
    const lens = await logitLens(model, { ids, target: 7, metric: 'logprob' });
    expect(lens.hooks).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post']);
    const last = lens.values[`blocks.${cfg.nLayer - 1}.hook_resid_post`];
    for (let t = 0; t < T; t++) {
      expect(last[t]).toBeCloseTo(lens.final[t], 4);
      expect(lens.values['blocks.0.hook_resid_post'][t]).toBeCloseTo(lens.values['blocks.1.hook_resid_pre'][t], 5);
      expect(lens.final[t]).toBeLessThanOrEqual(0);
    }
    const full = await runModel(model, { inputIds: [ids], logits: 'all' });
    const V = cfg.vocabSize;
    const argmax = (t: number) => {
      let b = 0;
      for (let v = 1; v < V; v++) if (full.logits!.data[t * V + v] > full.logits!.data[t * V + b]) b = v;
      return b;
    };
    expect(lens.top[`blocks.${cfg.nLayer - 1}.hook_resid_post`]).toEqual(Array.from({ length: T }, (_, t) => argmax(t)));
    // Layer 0's input differs from the output: the lens moves through the layers.
    expect(Math.max(...Array.from(lens.values['blocks.0.hook_resid_pre'], (x, t) => Math.abs(x - last[t])))).toBeGreaterThan(1e-3);
  });

  it('refuses logprob for DLA and a distractor without logit_diff', async () => {
    await expect(directLogitAttribution(model, { ids, target: 7, metric: 'logprob' })).rejects.toThrow(/not linear/);
    await expect(logitLens(model, { ids, target: 7, distractor: 3, metric: 'logit' })).rejects.toThrow(/distractor/);
  });
});
