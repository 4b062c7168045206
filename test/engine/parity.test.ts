import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/engine/node-load';
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Edit } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference, worstRatio } from './fixture';

const ref = loadReference();

describe.each(['cpu', 'wasm'])('gpt2-tiny parity on %s', (backend) => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    model = await loadModelDir(FIXTURE_DIR);
  });
  afterAll(() => model.dispose());

  it('matches logits, activations and gradients', async () => {
    const capture = Object.keys(ref.activations);
    const res = await runModel(model, {
      inputIds: [ref.input_ids],
      capture,
      target: { kind: 'logit', token: ref.target.token, position: ref.target.position },
    });
    expect(res.logits!.shape).toEqual([1, 12, 512]);
    expect(worstRatio(res.logits!.data, ref.logits.data)).toBeLessThanOrEqual(1);
    for (const h of capture) {
      expect(res.activations[h].shape.slice(1), h).toEqual(ref.activations[h].shape);
      expect(worstRatio(res.activations[h].data, ref.activations[h].data), h).toBeLessThanOrEqual(1);
    }
    for (const [h, g] of Object.entries(ref.grad_target_logit_wrt_mlp_post)) {
      expect(worstRatio(res.grads[h].data, g.data), `grad ${h}`).toBeLessThanOrEqual(1);
    }
    expect(res.targetValues![0]).toBeCloseTo(ref.logits.data[ref.target.position * 512 + ref.target.token], 3);
  });

  it('matches every intervention case, batched in one call and one by one', async () => {
    const editSets: Edit[][] = ref.interventions.map((c) =>
      c.edits.map((e) => ({
        hook: e.hook,
        index: e.neuron,
        op: e.kind,
        value: e.value ?? undefined,
        positions: e.position === null ? null : [e.position],
      })),
    );
    const batched = await runModel(model, {
      inputIds: editSets.map(() => ref.input_ids),
      edits: editSets,
      logits: 'last',
    });
    const V = 512;
    ref.interventions.forEach((c, i) => {
      const row = batched.logits!.data.subarray(i * V, (i + 1) * V);
      expect(worstRatio(row, c.last_position_logits), `case ${i}`).toBeLessThanOrEqual(1);
    });
    for (let i = 0; i < editSets.length; i++) {
      const single = await runModel(model, { inputIds: [ref.input_ids], edits: editSets[i], logits: 'last' });
      expect(worstRatio(single.logits!.data, ref.interventions[i].last_position_logits)).toBeLessThanOrEqual(1);
    }
  });

  it('leaves no tensors behind after plain, edited and gradient runs', async () => {
    const edits: Edit[] = [{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero', positions: null }];
    const reqs = [
      { inputIds: [ref.input_ids] },
      { inputIds: [ref.input_ids], edits, capture: ['blocks.1.attn.hook_z', 'logits'] },
      {
        inputIds: [ref.input_ids, ref.input_ids],
        edits,
        capture: ['blocks.0.mlp.hook_post', 'blocks.1.attn.hook_pattern', 'hook_embed', 'logits'],
        target: { kind: 'logprob' as const, token: 5 },
      },
    ];
    await runModel(model, reqs[0]); // first call at this length creates the cached causal mask
    // Kept between calls by design (masks, rotary tables, weights' transposes): not left behind by a run.
    const held = () => tf.memory().numTensors - cachedTensorCount();
    for (const req of reqs) {
      const before = held();
      await runModel(model, req);
      expect(held()).toBe(before);
    }
  });
});

describe('activation targets', () => {
  it('give the gradient of an internal activation, matching a finite difference', async () => {
    await tf.setBackend('cpu');
    const model = await loadModelDir(FIXTURE_DIR);
    const target = { kind: 'activation' as const, token: 0, hook: 'blocks.1.mlp.hook_post', index: 7, position: 11 };
    const res = await runModel(model, { inputIds: [ref.input_ids], capture: ['blocks.0.mlp.hook_post'], target, logits: 'none' });
    const cap = await runModel(model, { inputIds: [ref.input_ids], capture: ['blocks.1.mlp.hook_post'], logits: 'none' });
    expect(res.targetValues![0]).toBeCloseTo(cap.activations['blocks.1.mlp.hook_post'].data[11 * 256 + 7], 5);
    // d act / d (layer-0 neuron 3 at position 11) by a central difference of an `add` edit.
    const g = res.grads['blocks.0.mlp.hook_post'].data[11 * 256 + 3];
    const h = 1e-2;
    const at = async (v: number) => {
      const r = await runModel(model, { inputIds: [ref.input_ids], edits: [{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'add', value: v, positions: [11] }], target, capture: ['blocks.0.mlp.hook_post'], logits: 'none' });
      return r.targetValues![0];
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    expect(Math.abs(fd - g)).toBeLessThan(1e-3 + 1e-2 * Math.abs(g));
    model.dispose();
  });
});
