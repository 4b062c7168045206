import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextTokenCache, suffixStart } from '../../src/analysis/next-token';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit } from '../../src/engine/types';

const MODELS = join(__dirname, '..', '..', 'public', 'models');
const live = () => tf.memory().numTensors - cachedTensorCount();

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1e-4 + 1e-3 * Math.abs(b[i])));
  return w;
}

/** Edit sets of every op at block hooks (suffix runs), and ones a suffix run cannot start from (whole runs). */
function editSets(m: Model, T: number): Array<{ edits: Edit[]; route: 'suffix' | 'full' }> {
  const { nLayer: L, dModel: D } = m.config;
  const last = L - 1;
  return [
    { edits: [{ hook: `blocks.${last}.mlp.hook_post`, index: 3, op: 'zero', positions: [T - 1] }], route: 'suffix' },
    // From the first layer at every position a whole run does the same work with fewer steps.
    { edits: [{ hook: 'blocks.0.mlp.hook_post', index: null, op: 'scale', value: -2, positions: null }], route: 'full' },
    { edits: [{ hook: `blocks.${last}.mlp.hook_post`, index: null, op: 'scale', value: -2, positions: null }], route: 'suffix' },
    { edits: [{ hook: `blocks.${last}.attn.hook_z`, index: 1, op: 'clamp', value: 0.5, positions: [2, T - 1] }], route: 'suffix' },
    { edits: [{ hook: 'blocks.0.attn.hook_z', index: 0, op: 'mean', positions: [T - 2] }], route: 'suffix' },
    {
      edits: [
        { hook: `blocks.${last}.hook_resid_pre`, index: null, op: 'add', value: 1.5, vector: Array.from({ length: D }, (_, i) => Math.cos(i)), positions: [T - 1] },
        { hook: 'blocks.0.mlp.hook_post', index: 7, op: 'scale', value: 3, positions: [4] },
      ],
      route: 'suffix',
    },
    { edits: [{ hook: 'hook_embed', index: 2, op: 'zero', positions: null }], route: 'full' },
    { edits: [{ hook: 'blocks.0.attn.hook_pattern', index: 0, op: 'zero', positions: [T - 1] }], route: 'full' },
  ];
}

describe('edited predictions by suffix runs equal whole runs with the edits', () => {
  for (const name of ['gpt2-tiny', 'gptneo-tiny', 'pythia-tiny', 'llama-tiny', 'polyglot']) {
    describe(name, () => {
      let model: Model;
      beforeAll(async () => {
        await tf.setBackend('wasm');
        model = await loadModelDir(join(MODELS, name));
      });
      afterAll(() => model.dispose());

      it('clean (kept per prompt), every edit op, and the routes taken', async () => {
        const before = live();
        const cache = new NextTokenCache();
        const ids = Array.from({ length: 12 }, (_, i) => (i * 7 + 3) % model.config.vocabSize);
        const T = ids.length;
        const plain = await runModel(model, { inputIds: [ids], logits: 'last' });
        const c1 = await cache.clean(model, ids);
        expect(c1.route).toBe('full');
        expect(worst(c1.logits, plain.logits!.data)).toBeLessThanOrEqual(1);
        expect((await cache.clean(model, ids)).route).toBe('cached');
        const means = { 'blocks.0.attn.hook_z': new Float32Array(model.config.nHead * model.config.dHead).map((_, i) => Math.sin(i)) };
        for (const { edits, route } of editSets(model, T)) {
          const ref = await runModel(model, { inputIds: [ids], edits, logits: 'last', means });
          const got = await cache.edited(model, ids, edits, means);
          expect(got.route, JSON.stringify(edits)).toBe(route);
          expect(worst(got.logits, ref.logits!.data), JSON.stringify(edits)).toBeLessThanOrEqual(1);
          // The edit changed the outputs (a test that compares two clean runs could not fail).
          expect(worst(got.logits, plain.logits!.data)).toBeGreaterThan(1);
        }
        // A new prompt replaces the kept run; concurrent requests are served one at a time.
        const ids2 = ids.slice(0, 9);
        const e: Edit[] = [{ hook: 'blocks.0.mlp.hook_post', index: 5, op: 'zero', positions: [8] }];
        const [a, b] = await Promise.all([cache.clean(model, ids2), cache.edited(model, ids2, e)]);
        expect(worst(a.logits, (await runModel(model, { inputIds: [ids2], logits: 'last' })).logits!.data)).toBeLessThanOrEqual(1);
        expect(worst(b.logits, (await runModel(model, { inputIds: [ids2], edits: e, logits: 'last' })).logits!.data)).toBeLessThanOrEqual(1);
        expect(b.from).toEqual({ position: 8, layer: 0 });
        cache.dispose();
        await cache.clean(model, ids).then(() => cache.dispose());
        await new Promise((r) => setTimeout(r, 0));
        expect(live()).toBe(before);
      });
    });
  }

  it('suffixStart: the first edited position and layer; null outside the blocks', async () => {
    await tf.setBackend('wasm');
    const m = await loadModelDir(join(MODELS, 'gpt2-tiny'));
    try {
      expect(suffixStart(m, [{ hook: 'blocks.1.mlp.hook_post', index: 0, op: 'zero', positions: [5, 3] }, { hook: 'blocks.0.attn.hook_z', index: 0, op: 'zero', positions: [7] }])).toEqual({ position: 3, layer: 0 });
      expect(suffixStart(m, [{ hook: 'blocks.1.mlp.hook_post', index: 0, op: 'zero', positions: null }])).toEqual({ position: 0, layer: 1 });
      expect(suffixStart(m, [{ hook: 'ln_final.hook_normalized', index: 0, op: 'zero', positions: null }])).toBeNull();
      expect(suffixStart(m, [])).toBeNull();
    } finally {
      m.dispose();
    }
  });
});
