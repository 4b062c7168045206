import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/engine/bytes';
import { loadModel } from '../../src/engine/model';
import { cachedTensorCount } from '../../src/engine/forward';
import { allHooks } from '../../src/engine/hooks';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { ARCH_FIXTURES, fixtureDir, fixtureReference, referenceEdits } from './arch-fixtures';
import { worstRatio } from './fixture';

/** Parity with the independent PyTorch references of every architecture: every hook, logits, gradients, interventions. */
describe.each(ARCH_FIXTURES.flatMap((f) => ['cpu', 'wasm'].map((b) => [f, b] as const)))('%s parity on %s', (fixture, backend) => {
  const ref = fixtureReference(fixture);
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  it('matches logits, every hook of the reference and the gradients', async () => {
    const capture = Object.keys(ref.activations);
    const known = new Set(allHooks(model.config));
    for (const h of capture) expect(known.has(h), `${h} is a hook of the model`).toBe(true);
    const res = await runModel(model, { inputIds: [ref.input_ids], capture, target: { kind: 'logit', token: ref.target.token, position: ref.target.position } });
    const T = ref.input_ids.length;
    expect(res.logits!.shape).toEqual([1, T, model.config.vocabSize]);
    expect(worstRatio(res.logits!.data, ref.logits.data)).toBeLessThanOrEqual(1);
    for (const h of capture) {
      expect(res.activations[h].shape.slice(1), h).toEqual(ref.activations[h].shape);
      expect(worstRatio(res.activations[h].data, ref.activations[h].data), h).toBeLessThanOrEqual(1);
    }
    for (const [h, g] of Object.entries(ref.grad_target_logit_wrt_mlp_post)) {
      expect(worstRatio(res.grads[h].data, g.data), `grad ${h}`).toBeLessThanOrEqual(1);
    }
  });

  it('matches every intervention, batched and one by one', async () => {
    const sets = referenceEdits(ref);
    const V = model.config.vocabSize;
    const batched = await runModel(model, { inputIds: sets.map(() => ref.input_ids), edits: sets, logits: 'last' });
    ref.interventions.forEach((c, i) => expect(worstRatio(batched.logits!.data.subarray(i * V, (i + 1) * V), c.last_position_logits), `case ${i}`).toBeLessThanOrEqual(1));
    for (let i = 0; i < sets.length; i++) {
      const single = await runModel(model, { inputIds: [ref.input_ids], edits: sets[i], logits: 'last' });
      expect(worstRatio(single.logits!.data, ref.interventions[i].last_position_logits), `case ${i}`).toBeLessThanOrEqual(1);
    }
  });

  it('leaves no tensors behind, every hook captured with a gradient', async () => {
    const live = () => tf.memory().numTensors - cachedTensorCount();
    const req = { inputIds: [ref.input_ids, ref.input_ids], capture: allHooks(model.config), edits: [{ hook: 'blocks.0.attn.hook_z', index: 1, op: 'zero' as const, positions: null }], target: { kind: 'logprob' as const, token: 3 } };
    await runModel(model, req);
    const before = live();
    await runModel(model, req);
    await runModel(model, { inputIds: [ref.input_ids] });
    expect(live()).toBe(before);
  });
});

describe('config forms', () => {
  const load = async (fixture: string, edit: (c: Record<string, unknown>) => void) => {
    const c = JSON.parse(readFileSync(join(fixtureDir(fixture), 'config.json'), 'utf8'));
    edit(c);
    return loadModel({ config: c, safetensors: bytesSource(new Uint8Array(readFileSync(join(fixtureDir(fixture), 'model.safetensors')))) });
  };
  it.each([
    ['pythia-tiny', 'the older names only, as published Pythia configs', (c: Record<string, unknown>) => (delete c.rope_theta, delete c.partial_rotary_factor)],
    ['pythia-tiny', 'the newer rope_parameters object', (c: Record<string, unknown>) => ((c.rope_parameters = { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 }), delete c.rope_theta, delete c.rotary_emb_base, delete c.rotary_pct, delete c.partial_rotary_factor)],
    ['llama-tiny', 'rope_parameters instead of rope_theta', (c: Record<string, unknown>) => ((c.rope_parameters = { rope_type: 'default', rope_theta: 10000 }), delete c.rope_theta)],
    ['gptneo-tiny', 'attention_types expanded when attention_layers is absent', (c: Record<string, unknown>) => delete c.attention_layers],
  ] as const)('%s: %s gives the reference logits', async (fixture, _what, edit) => {
    await tf.setBackend('cpu');
    const ref = fixtureReference(fixture);
    const model = await load(fixture, edit);
    const r = await runModel(model, { inputIds: [ref.input_ids] });
    expect(worstRatio(r.logits!.data, ref.logits.data)).toBeLessThanOrEqual(1);
    model.dispose();
  });
  it('a rope base that differs changes the logits (the field is read)', async () => {
    const ref = fixtureReference('llama-tiny');
    const model = await load('llama-tiny', (c) => (c.rope_theta = 500));
    const r = await runModel(model, { inputIds: [ref.input_ids] });
    expect(worstRatio(r.logits!.data, ref.logits.data)).toBeGreaterThan(1);
    model.dispose();
  });
});
