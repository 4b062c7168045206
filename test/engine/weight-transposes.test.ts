import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { TRANSPOSE_BUDGET_BYTES, transposeCachedBytes, transposeCachedTensors } from '../../src/engine/weight-transposes';
import { fixtureDir } from './arch-fixtures';
import { worstRel } from './fixture';

/**
 * Transposes of weights on WASM: the backward pass needs none (dX = dY·Wᵀ is computed as (W·dYᵀ)ᵀ); the unembedding
 * of many rows keeps one of Eᵀ, equal in effect to a fresh one and freed with the model.
 */
describe('weight transposes', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it('a gradient run keeps no transposed copies, and its gradients equal the CPU backend’s, run after run', async () => {
    const base = transposeCachedTensors();
    const model = await loadModelDir(fixtureDir('gpt2-tiny'));
    // One row and several: the product is formed the same way whatever the number of rows.
    for (const ids of [[3], [3, 17, 40, 5, 22, 9]]) {
      const req = { inputIds: [ids], capture: ['hook_embed', 'blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z'], target: { kind: 'logit' as const, token: 5 }, logits: 'none' as const };
      const first = await runModel(model, req);
      expect(transposeCachedTensors() - base).toBe(0);
      const again = await runModel(model, req);
      for (const h of req.capture) expect(worstRel(again.grads![h].data, first.grads![h].data), h).toBe(0);
      // The same gradients as the CPU backend (tfjs's own matmul gradient, with transpose flags).
      await tf.setBackend('cpu');
      const cpuModel = await loadModelDir(fixtureDir('gpt2-tiny'));
      const ref = await runModel(cpuModel, req);
      cpuModel.dispose();
      await tf.setBackend('wasm');
      for (const h of req.capture) expect(worstRel(again.grads![h].data, ref.grads![h].data), `${h} (${ids.length} tokens)`).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it('the unembedding of many rows keeps Eᵀ once; later runs give the same logits; dispose frees it', async () => {
    const base = transposeCachedTensors();
    const model = await loadModelDir(fixtureDir('gpt2-tiny'));
    const ids = Array.from({ length: 40 }, (_, i) => (i * 7) % 300);
    const first = await runModel(model, { inputIds: [ids], logits: 'all' });
    expect(transposeCachedTensors() - base).toBe(1);
    expect(transposeCachedBytes()).toBeLessThanOrEqual(TRANSPOSE_BUDGET_BYTES);
    const again = await runModel(model, { inputIds: [ids], logits: 'all' });
    expect(transposeCachedTensors() - base).toBe(1);
    expect(worstRel(again.logits!.data, first.logits!.data)).toBe(0);
    // A few rows multiply E by the transposed rows instead: the same logits, no copy used.
    const few = await runModel(model, { inputIds: [ids.slice(0, 5)], logits: 'all' });
    expect(worstRel(few.logits!.data, first.logits!.data.subarray(0, few.logits!.data.length))).toBeLessThan(1e-5);
    model.dispose();
    expect(transposeCachedTensors()).toBe(base);
  });
});
