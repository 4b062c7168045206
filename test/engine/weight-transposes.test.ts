import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { TRANSPOSE_BUDGET_BYTES, transposeCachedBytes, transposeCachedTensors, warmTransposes } from '../../src/engine/weight-transposes';
import { fixtureDir } from './arch-fixtures';
import { worstRel } from './fixture';

/** Kept transposes of weights: made by the backward pass on WASM, equal in effect to fresh ones, freed with the model. */
describe('weight transposes', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it('warmTransposes makes them one per turn of the event loop, before a gradient run, which then makes none', async () => {
    const base = transposeCachedTensors();
    const model = await loadModelDir(fixtureDir('gpt2-tiny'));
    try {
      let turns = 0;
      let stop = false;
      const tick = () => setTimeout(() => !stop && (turns++, tick()), 0);
      tick();
      await warmTransposes(model.weights);
      stop = true;
      const made = transposeCachedTensors() - base;
      expect(made).toBe(4 * model.config.nLayer);
      // Other work ran between the copies (a worker answers its messages meanwhile).
      expect(turns).toBeGreaterThanOrEqual(made - 1);
      await warmTransposes(model.weights);
      expect(transposeCachedTensors() - base).toBe(made);
      await runModel(model, { inputIds: [[3, 17, 40, 5]], capture: ['hook_embed'], target: { kind: 'logit', token: 5 }, logits: 'none' });
      expect(transposeCachedTensors() - base).toBe(made);
    } finally {
      model.dispose();
    }
    expect(transposeCachedTensors()).toBe(base);
  });

  it('a gradient run keeps the weights’ transposes; later runs give the same gradients; dispose frees them', async () => {
    const base = transposeCachedTensors();
    const model = await loadModelDir(fixtureDir('gpt2-tiny'));
    const req = { inputIds: [[3, 17, 40, 5, 22, 9]], capture: ['hook_embed', 'blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z'], target: { kind: 'logit' as const, token: 5 }, logits: 'none' as const };
    const first = await runModel(model, req);
    const kept = transposeCachedTensors() - base;
    // Down to hook_embed, each block's four matrices are used transposed by dX = dY·Wᵀ (qkv, o, in, out).
    expect(kept).toBe(4 * model.config.nLayer);
    expect(transposeCachedBytes()).toBeLessThanOrEqual(TRANSPOSE_BUDGET_BYTES);
    const again = await runModel(model, req);
    expect(transposeCachedTensors() - base).toBe(kept);
    for (const h of req.capture) expect(worstRel(again.grads![h].data, first.grads![h].data), h).toBe(0);
    // The same gradients as the CPU backend, which transposes nothing.
    await tf.setBackend('cpu');
    const cpuModel = await loadModelDir(fixtureDir('gpt2-tiny'));
    const ref = await runModel(cpuModel, req);
    cpuModel.dispose();
    await tf.setBackend('wasm');
    for (const h of req.capture) expect(worstRel(again.grads![h].data, ref.grads![h].data), h).toBeLessThan(1e-4);
    const before = tf.memory().numTensors;
    model.dispose();
    expect(transposeCachedTensors()).toBe(base);
    expect(before - tf.memory().numTensors).toBeGreaterThanOrEqual(kept);
  });
});
