import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablationSweep } from '../../src/analysis/ablation';
import { findPath } from '../../src/analysis/path';
import { KvCache } from '../../src/analysis/generate';
import { positionGradients, supportsOnePosition } from '../../src/analysis/position-grad';
import { SuffixRunner } from '../../src/analysis/suffix';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit } from '../../src/engine/types';
import { worstRel } from './fixture';
import { referenceBatch, referencePixels, VIT_DIR, vitReference } from './vit-fixture';

/**
 * The fast paths that assume causal attention step aside on vit, and their general fallbacks are exact: suffix runs
 * (every position recomputed from the first edited layer), ablation sweeps and path removal effects against plain
 * runs of the engine; the one-position backward pass and the key/value cache refuse or fall back.
 */
describe('vit: fast paths step aside, fallbacks are exact', () => {
  const ref = vitReference();
  const image = referencePixels(ref);
  const cls = ref.target.class;
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadModelDir(VIT_DIR);
  });
  afterAll(() => model.dispose());

  it('the one-position backward pass and the key/value cache are not used', async () => {
    expect(supportsOnePosition(model.config)).toBe(false);
    expect(() => new KvCache(model)).toThrow(/needs causal attention/);
    const hooks = ['blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z'];
    const pg = await positionGradients(model, image, { kind: 'logit', token: cls, position: 0 }, hooks);
    const full = await runModel(model, { pixelValues: referenceBatch(ref), capture: hooks, target: { kind: 'logit', token: cls } });
    for (const h of hooks) {
      const row = full.grads[h].data.length / 17;
      expect(worstRel(pg.grads[h], full.grads[h].data.subarray(0, row))).toBeLessThan(1e-6);
    }
  });

  it('a suffix run from a later position, with edits before it, equals the plain run (values and gradients)', async () => {
    const runner = await SuffixRunner.create(model, image, 0);
    try {
      const edits: Edit[][] = [
        [{ hook: 'blocks.0.mlp.hook_post', index: 7, op: 'scale', value: -2, positions: [3, 12] }],
        [{ hook: 'blocks.1.attn.hook_z', index: 2, op: 'zero', positions: null }],
        [],
      ];
      const capture = ['blocks.0.mlp.hook_post', 'blocks.1.hook_resid_pre'];
      const start = 5;
      const s = await runner.run({ edits, targets: edits.map(() => ({ kind: 'logprob' as const, token: 2 })), capture, start });
      const r = await runModel(model, { pixelValues: referenceBatch(ref, 3), edits, capture, target: { kind: 'logprob', token: 2 }, logits: 'none' });
      expect(worstRel(s.targetValues, r.targetValues!)).toBeLessThan(1e-5);
      for (const h of capture) {
        const n = r.grads[h].data.length / 3;
        const unit = n / 17;
        expect(s.grads[h].shape).toEqual([3, 17 - start, ...r.grads[h].shape.slice(2)]);
        for (let b = 0; b < 3; b++) {
          const want = r.grads[h].data.subarray(b * n + start * unit, (b + 1) * n);
          expect(worstRel(s.grads[h].data.subarray(b * (17 - start) * unit, (b + 1) * (17 - start) * unit), want), `${h} batch ${b}`).toBeLessThan(1e-5);
        }
      }
      // An edit at a patch in layer 0 reaches [CLS] through layer 1's attention: the logprob moves.
      expect(Math.abs(s.targetValues[0] - s.targetValues[2])).toBeGreaterThan(1e-4);
    } finally {
      runner.dispose();
    }
  });

  it('ablation effects at patch tokens and path removal effects equal plain runs', async () => {
    const target = { kind: 'logit' as const, token: cls, position: 0 };
    const hook = 'blocks.0.mlp.hook_post';
    const sweep = await ablationSweep(model, { ids: image, target, hooks: [hook], positions: [16] });
    const units = [11, 40, 191];
    const r = await runModel(model, { pixelValues: referenceBatch(ref, 4), edits: [[], ...units.map((u): Edit[] => [{ hook, index: u, op: 'zero', positions: [16] }])], target, logits: 'none' });
    units.forEach((u, i) => expect(sweep.scores[hook].data[16 * 192 + u]).toBeCloseTo(r.targetValues![i + 1] - r.targetValues![0], 5));
    expect(sweep.scores[hook].data.subarray(16 * 192).some((x) => x !== 0)).toBe(true);
    const p = await findPath(model, { ids: image, target: { kind: 'logit', token: cls }, steps: 4, positions: 'all', runnersUp: 1 });
    const zeroed = p.path.map((n, l): Edit[] => p.path.slice(0, l + 1).map((m) => ({ hook: m.hook, index: m.index, op: 'zero', positions: null })));
    const e = await runModel(model, { pixelValues: referenceBatch(ref, 1 + zeroed.length), edits: [[], ...zeroed], target, logits: 'none' });
    p.path.forEach((n, l) => expect(n.removal!).toBeCloseTo(e.targetValues![0] - e.targetValues![l + 1], 5));
  });
});
