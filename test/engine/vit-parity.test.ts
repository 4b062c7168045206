import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { cachedTensorCount } from '../../src/engine/forward';
import { allHooks } from '../../src/engine/hooks';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { worstRatio } from './fixture';
import { referenceBatch, referencePixels, VIT_DIR, vitEdits, vitReference } from './vit-fixture';

/** Parity with the independent PyTorch reference of vit-tiny: logits, every hook, gradients, interventions, layer IG. */
describe.each(['cpu', 'wasm'])('vit-tiny parity on %s', (backend) => {
  const ref = vitReference();
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    model = await loadModelDir(VIT_DIR);
  });
  afterAll(() => model.dispose());

  it('reads the config: 17 tokens, 10 labels, non-causal', () => {
    const c = model.config;
    expect([c.nCtx, c.vocabSize, c.nLayer, c.nHead, c.dHead, c.dMlp, c.activation, c.causal]).toEqual([17, 10, 2, 4, 12, 192, 'gelu', false]);
    expect(c.vision).toMatchObject({ imageSize: [32, 32], patchSize: 8, channels: 3, grid: [4, 4] });
    expect(c.vision!.labels[9]).toBe('truck');
    expect(c.vision!.preprocess).toEqual({ processor: 'ViTImageProcessor', resize: { height: 32, width: 32, resample: 2 }, centerCrop: null, rescale: 0.00392156862745098, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } });
  });

  it('matches logits, every hook of the reference and the gradients', async () => {
    const capture = Object.keys(ref.activations);
    const known = new Set(allHooks(model.config));
    for (const h of capture) expect(known.has(h), `${h} is a hook of the model`).toBe(true);
    const res = await runModel(model, { pixelValues: referenceBatch(ref), capture, target: { kind: 'logit', token: ref.target.class } });
    expect(res.logits!.shape).toEqual([1, 10]);
    expect(worstRatio(res.logits!.data, ref.logits.data)).toBeLessThanOrEqual(1);
    expect(res.targetValues![0]).toBeCloseTo(ref.logits.data[ref.target.class], 4);
    for (const h of capture) {
      expect(res.activations[h].shape.slice(1), h).toEqual(ref.activations[h].shape);
      expect(worstRatio(res.activations[h].data, ref.activations[h].data), h).toBeLessThanOrEqual(1);
    }
    for (const [h, g] of Object.entries(ref.grad_target_logit_wrt_mlp_post)) {
      expect(worstRatio(res.grads[h].data, g.data), `grad ${h}`).toBeLessThanOrEqual(1);
    }
    // The last layer's gradients are exactly 0 away from [CLS]: only position 0 reaches the classifier.
    const g1 = res.grads['blocks.1.mlp.hook_post'].data;
    expect(g1.subarray(192).every((x) => x === 0)).toBe(true);
    expect(g1.subarray(0, 192).some((x) => x !== 0)).toBe(true);
  });

  it('matches every intervention, batched and one by one', async () => {
    const sets = vitEdits(ref);
    const V = 10;
    const batched = await runModel(model, { pixelValues: referenceBatch(ref, sets.length), edits: sets, logits: 'last' });
    expect(batched.logits!.shape).toEqual([sets.length, V]);
    ref.interventions.forEach((c, i) => expect(worstRatio(batched.logits!.data.subarray(i * V, (i + 1) * V), c.logits), `case ${i}`).toBeLessThanOrEqual(1));
    for (let i = 0; i < sets.length; i++) {
      const single = await runModel(model, { pixelValues: referenceBatch(ref), edits: sets[i] });
      expect(worstRatio(single.logits!.data, ref.interventions[i].logits), `case ${i}`).toBeLessThanOrEqual(1);
    }
    // No mask: an edit of the last patch in layer 0 moves the logits; in the last layer it cannot.
    const clean = (await runModel(model, { pixelValues: referenceBatch(ref) })).logits!.data;
    const moved = (i: number) => Math.max(...ref.interventions[i].logits.map((x, j) => Math.abs(x - clean[j])));
    expect(moved(3)).toBeGreaterThan(1e-2);
    const last = await runModel(model, { pixelValues: referenceBatch(ref), edits: sets[4] });
    expect(Array.from(last.logits!.data)).toEqual(Array.from(clean));
  });

  it('matches layer IG of blocks.1.mlp.hook_post at every token (64 midpoint steps), through attribution', async () => {
    const ig = ref.layer_ig;
    const r = await attribute(model, { ids: referencePixels(ref), target: { kind: 'logit', token: ref.target.class }, method: 'ig', steps: ig.steps, layer: 1, kinds: ['neuron'], positions: 'all' });
    expect(r.target.position).toBe(0);
    expect(r.targetValue).toBeCloseTo(ig.target_logit, 4);
    const got = r.scores[ig.hook];
    expect(got.shape).toEqual(ig.attributions.shape);
    expect(worstRatio(got.data, ig.attributions.data)).toBeLessThanOrEqual(1);
    const c = r.completeness![ig.hook];
    expect(Math.abs(c.exact - (ig.target_logit - ig.baseline_logit))).toBeLessThan(1e-4 + 1e-3 * Math.abs(ig.target_logit - ig.baseline_logit));
    expect(c.gap).toBeLessThan(1e-3);
  });

  it('leaves no tensors behind, every hook captured with a gradient', async () => {
    const live = () => tf.memory().numTensors - cachedTensorCount();
    const req = { pixelValues: referenceBatch(ref, 2), capture: allHooks(model.config), edits: [{ hook: 'blocks.0.attn.hook_z', index: 1, op: 'zero' as const, positions: null }], target: { kind: 'logprob' as const, token: 3 } };
    await runModel(model, req);
    const before = live();
    await runModel(model, req);
    await runModel(model, { pixelValues: referenceBatch(ref) });
    expect(live()).toBe(before);
  });
});
