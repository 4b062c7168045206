import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Target } from '../../src/engine/types';
import { ARCH_FIXTURES, fixtureDir, fixtureReference } from './arch-fixtures';
import { worstRel } from './fixture';

/**
 * A gradient run that returns no logits reads a logit (difference) from the target's unembedding rows alone. Its
 * value and gradients must equal those of the same run computing every logit (logits: 'all' takes the full product).
 */
describe.each(ARCH_FIXTURES)('%s: target values from the unembedding rows', (fixture) => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  const cases = (ids: number[]): Array<[string, Target[]]> => {
    const T = ids.length;
    return [
      ['logit', [{ kind: 'logit', token: 5, position: T - 1 }, { kind: 'logit', token: 17, position: 2 }]],
      ['logit_diff', [{ kind: 'logit_diff', token: 5, distractor: 9, position: T - 1 }, { kind: 'logit_diff', token: 3, distractor: 30, position: 1 }]],
      ['mixed', [{ kind: 'logit', token: 7, position: T - 1 }, { kind: 'logit_diff', token: 2, distractor: 11, position: T - 2 }]],
    ];
  };

  it.each(['logit', 'logit_diff', 'mixed'])('%s targets', async (name) => {
    const ids = fixtureReference(fixture).input_ids;
    const targets = cases(ids).find(([n]) => n === name)![1];
    const capture = ['blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z', 'blocks.0.hook_resid_pre'];
    const req = { inputIds: [ids, ids], target: targets, capture };
    const full = await runModel(model, { ...req, logits: 'all' });
    const rows = await runModel(model, { ...req, logits: 'none' });
    expect(rows.logits).toBeUndefined();
    // The full run's logits give the target values independently.
    const T = ids.length;
    const V = model.config.vocabSize;
    const expected = targets.map((t, b) => {
      const at = (tok: number) => full.logits!.data[(b * T + t.position!) * V + tok];
      return t.kind === 'logit_diff' ? at(t.token) - at(t.distractor!) : at(t.token);
    });
    expect(worstRel(rows.targetValues!, expected)).toBeLessThan(1e-5);
    expect(worstRel(full.targetValues!, expected)).toBeLessThan(1e-5);
    for (const h of capture) expect(worstRel(rows.grads![h].data, full.grads![h].data), h).toBeLessThan(1e-4);
  });
});
