import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionGradients } from '../../src/analysis/position-grad';
import { resolveTarget } from '../../src/analysis/targets';
import { cachedTensorCount } from '../../src/engine/forward';
import { randomModel } from '../../src/engine/init';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { ModelConfig, Target } from '../../src/engine/types';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';
import { gpt2Config } from '../../src/engine/arch/gpt2';

const ref = loadReference();
const live = () => tf.memory().numTensors - cachedTensorCount();

/** The engine's gradient at position p against the one-position backward pass, every hook, relative error. */
async function compare(model: Model, ids: number[], t: Target) {
  const L = model.config.nLayer;
  const hooks = Array.from({ length: L }, (_, l) => [`blocks.${l}.mlp.hook_post`, `blocks.${l}.attn.hook_z`]).flat();
  const target = resolveTarget(t, ids.length, model.config);
  const before = live();
  const fast = await positionGradients(model, ids, target, hooks);
  expect(live()).toBe(before);
  const e = await runModel(model, { inputIds: [ids], capture: hooks, target, logits: 'none' });
  expect(fast.targetValue).toBeCloseTo(e.targetValues![0], 4);
  const p = target.position;
  for (const h of hooks) {
    const F = fast.grads[h].length;
    const want = e.grads[h].data.subarray(p * F, (p + 1) * F);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < F; i++) {
      worst = Math.max(worst, Math.abs(fast.grads[h][i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    expect(scale, h).toBeGreaterThan(0);
    expect(worst / scale, h).toBeLessThan(2e-4);
  }
}

describe('gradients at the target position by a one-position backward pass', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
    await runModel(model, { inputIds: [ref.input_ids] });
  });
  afterAll(() => model.dispose());

  it.each<Target>([
    { kind: 'logit', token: ref.target.token },
    { kind: 'logit_diff', token: 3, distractor: 400 },
    { kind: 'logprob', token: 77, position: 6 },
    { kind: 'logit', token: 9, position: 0 },
  ])('equal the engine on the fixture (%o)', (t) => compare(model, ref.input_ids, t));

  it.each(['gelu', 'relu', 'gelu_new'] as const)('equal the engine on a random %s model', async (activation) => {
    const cfg: ModelConfig = gpt2Config({ nLayer: 3, nHead: 2, dModel: 16, dMlp: 32, vocabSize: 20, nCtx: 16, activation });
    const m = randomModel(cfg, 9);
    await compare(m, [1, 4, 9, 16, 5, 0, 19, 3, 3], { kind: 'logprob', token: 2 });
    m.dispose();
  });
});
