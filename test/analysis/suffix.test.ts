import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuffixRunner, type SuffixTarget } from '../../src/analysis/suffix';
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
/** Live tensors, not counting the engine's cached causal masks. */
const live = () => tf.memory().numTensors - cachedTensorCount();

function engineTarget(t: SuffixTarget, position: number): Target {
  if (t.kind === 'activation') return { kind: 'activation', token: 0, hook: t.hook, index: t.index, position };
  return { kind: t.kind, token: t.token, distractor: t.kind === 'logit_diff' ? t.distractor : undefined, position };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(worst).toBeLessThanOrEqual(tol * Math.max(1, scale));
}

describe('suffix runs equal whole-prompt engine runs', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
  });
  afterAll(() => model.dispose());

  it('edits of every kind, logit / logit_diff / logprob targets, gradients at the suffix positions', async () => {
    const before = live();
    const p = 9; // the target position: the runner sees the prompt up to p
    const prompt = ids.slice(0, p + 1);
    const runner = await SuffixRunner.create(model, prompt);
    const means = { 'blocks.1.attn.hook_z': new Float32Array(64).map((_, i) => Math.sin(i)) };
    for (const start of [p, 6, 0]) {
      const edits: Edit[][] = [
        [{ hook: 'blocks.0.mlp.hook_post', index: null, op: 'scale', value: 0.3, positions: [p] }],
        [
          { hook: 'blocks.1.mlp.hook_post', index: 17, op: 'zero', positions: [p] },
          { hook: 'blocks.0.attn.hook_z', index: 2, op: 'scale', value: -1, positions: [start, p] },
        ],
        [{ hook: 'blocks.1.attn.hook_z', index: 1, op: 'mean', positions: [Math.max(start, p - 1)] }],
        [{ hook: 'blocks.1.hook_resid_pre', index: 5, op: 'clamp', value: 2, positions: [start] }],
        [],
      ];
      const targets: SuffixTarget[] = [
        { kind: 'logit', token: 123 },
        { kind: 'logit_diff', token: 123, distractor: 7 },
        { kind: 'logprob', token: 40 },
        { kind: 'logit', token: 3 },
        { kind: 'logprob', token: 123 },
      ];
      const capture = ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post', 'blocks.0.attn.hook_z'];
      const s = await runner.run({ edits, targets, capture, start, means });
      const e = await runModel(model, { inputIds: edits.map(() => ids), edits, target: targets.map((t) => engineTarget(t, p)), capture, logits: 'none', means });
      expectClose(s.targetValues, e.targetValues!, 1e-4);
      for (const h of capture) {
        const F = h.includes('attn') ? 64 : 256;
        const S = p + 1 - start;
        expect(s.grads[h].shape[0]).toBe(edits.length);
        expect(s.grads[h].shape[1]).toBe(S);
        const want = new Float32Array(edits.length * S * F);
        for (let b = 0; b < edits.length; b++) want.set(e.grads[h].data.subarray((b * T + start) * F, (b * T + p + 1) * F), b * S * F);
        expectClose(s.grads[h].data, want, 1e-4);
        const wantA = new Float32Array(edits.length * S * F);
        for (let b = 0; b < edits.length; b++) wantA.set(e.activations[h].data.subarray((b * T + start) * F, (b * T + p + 1) * F), b * S * F);
        expectClose(s.activations[h].data, wantA, 1e-4);
      }
    }
    runner.dispose();
    expect(live()).toBe(before);
  });

  it('keeps the prefix keys and values cut for one start (one set per layer), or none when told not to', async () => {
    const p = 9;
    const prompt = ids.slice(0, p + 1);
    const req = (start: number) => ({ edits: [[{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero' as const, positions: [p] }]], targets: [{ kind: 'logit' as const, token: 5 }], capture: ['blocks.0.mlp.hook_post'], start });
    const before = live();
    const kept = await SuffixRunner.create(model, prompt);
    const created = live();
    const a = await kept.run(req(p));
    const afterFirst = live();
    // One key and one value tensor per layer, kept for the next run at the same start...
    expect(afterFirst - created).toBe(2 * model.config.nLayer);
    const b = await kept.run(req(p));
    expect(live()).toBe(afterFirst);
    expect(Array.from(b.targetValues)).toEqual(Array.from(a.targetValues));
    expect(Array.from(b.grads['blocks.0.mlp.hook_post'].data)).toEqual(Array.from(a.grads['blocks.0.mlp.hook_post'].data));
    // ...replaced, not added to, at another start; and the same numbers as a runner that keeps none.
    const c = await kept.run(req(6));
    expect(live()).toBe(afterFirst);
    const fresh = await SuffixRunner.create(model, prompt, 0, [], { keepPrefix: false });
    const held = live();
    const d = await fresh.run(req(6));
    expect(live()).toBe(held);
    expect(Array.from(d.targetValues)).toEqual(Array.from(c.targetValues));
    fresh.dispose();
    kept.dispose();
    expect(live()).toBe(before);
  });

  it('activation targets on different hooks in one batch (path edges)', async () => {
    const runner = await SuffixRunner.create(model, ids);
    const P = T - 1;
    const targets: SuffixTarget[] = [
      { kind: 'activation', hook: 'blocks.1.mlp.hook_post', index: 3, positions: [P] },
      { kind: 'activation', hook: 'blocks.1.mlp.hook_post', index: 200, positions: [P - 1, P] },
      { kind: 'activation', hook: 'blocks.1.hook_resid_pre', index: 11, positions: [P] },
    ];
    const s = await runner.run({ edits: targets.map(() => []), targets, capture: ['blocks.0.mlp.hook_post'], start: P - 1 });
    for (let b = 0; b < targets.length; b++) {
      const t = targets[b] as Extract<SuffixTarget, { kind: 'activation' }>;
      let value = 0;
      const grad = new Float32Array(2 * 256);
      for (const pos of t.positions) {
        const e = await runModel(model, { inputIds: [ids], target: engineTarget(t, pos), capture: ['blocks.0.mlp.hook_post'], logits: 'none' });
        value += e.targetValues![0];
        for (let j = 0; j < 2 * 256; j++) grad[j] += e.grads['blocks.0.mlp.hook_post'].data[(P - 1) * 256 + j];
      }
      expect(s.targetValues[b]).toBeCloseTo(value, 4);
      expectClose(s.grads['blocks.0.mlp.hook_post'].data.subarray(b * 512, (b + 1) * 512), grad, 1e-4);
    }
    runner.dispose();
  });

  it('refuses edits before the start, and follows the model: gelu, relu, untied layers', async () => {
    const runner = await SuffixRunner.create(model, ids);
    await expect(runner.run({ edits: [[{ hook: 'blocks.0.mlp.hook_post', index: 1, op: 'zero', positions: [2] }]], targets: [{ kind: 'logit', token: 1 }], start: 3 })).rejects.toThrow(/before 3/);
    runner.dispose();
    for (const activation of ['gelu', 'relu'] as const) {
      const cfg: ModelConfig = gpt2Config({ nLayer: 3, nHead: 2, dModel: 16, dMlp: 32, vocabSize: 20, nCtx: 16, activation });
      const m = randomModel(cfg, 5);
      const x = [1, 4, 9, 16, 5, 0, 19, 3];
      const r = await SuffixRunner.create(m, x, 1);
      const edits: Edit[][] = [[{ hook: 'blocks.2.mlp.hook_post', index: null, op: 'scale', value: 3, positions: [7] }], [{ hook: 'blocks.1.attn.hook_z', index: 0, op: 'zero', positions: [5, 7] }]];
      const s = await r.run({ edits, targets: [{ kind: 'logit', token: 2 }, { kind: 'logit', token: 2 }], capture: ['blocks.1.mlp.hook_post'], start: 5 });
      const e = await runModel(m, { inputIds: [x, x], edits, target: { kind: 'logit', token: 2 }, capture: ['blocks.1.mlp.hook_post'], logits: 'none' });
      expectClose(s.targetValues, e.targetValues!, 1e-4);
      expectClose(s.grads['blocks.1.mlp.hook_post'].data.subarray(0, 3 * 32), e.grads['blocks.1.mlp.hook_post'].data.subarray(5 * 32, 8 * 32), 1e-4);
      await expect(r.run({ edits: [[{ hook: 'blocks.0.mlp.hook_post', index: 1, op: 'zero', positions: [7] }]], targets: [{ kind: 'logit', token: 1 }], start: 5 })).rejects.toThrow(/first layer/);
      r.dispose();
      m.dispose();
    }
  });
});
