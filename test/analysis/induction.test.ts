/**
 * Known circuit: a previous-token head in layer 0 feeding an induction head in layer 1. The heads are identified
 * independently, from their attention patterns on repeated random sequences; head attribution (integrated
 * gradients and exact ablation in both layers; grad × act in layer 1) must rank the same heads first.
 * - On a hand-built model with that circuit and two distractor heads (circuit-model.ts): always.
 * - On the bundled induction model (public/models/induction; PATHLIGHT_INDUCTION_DIR=DIR checks another run),
 *   whose attention patterns must show such heads.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { headPatternScores } from '../../src/analysis/head-patterns';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { inductionEvalSet } from '../../src/train/induction-data';
import { Rng } from '../../src/analysis/rng';
import { circuitModel, CIRCUIT_V } from './circuit-model';

const DIR = process.env.PATHLIGHT_INDUCTION_DIR ?? join(__dirname, '..', '..', 'public', 'models', 'induction');
const bundled = existsSync(join(DIR, 'config.json')) && existsSync(join(DIR, 'model.safetensors'));
/**
 * A previous-token head: mean attention on the previous token at least 0.3 (a head attending uniformly over its
 * causal window scores about 0.075 at 64 tokens) and at least 0.2 above every other head of layer 0.
 */
const PREV_MIN = 0.3;
const live = () => tf.memory().numTensors - cachedTensorCount();

/** A token sequence with the positions whose next token repeats an earlier continuation. */
interface Repeated {
  ids: number[];
  repeated: number[];
}

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};
/** The largest value minus the second largest. */
const margin = (a: ArrayLike<number>) => {
  const s = Array.from(a).sort((x, y) => y - x);
  return s[0] - s[1];
};

/** Per head, from attention patterns only: previous-token score (layer 0) and induction score (layer 1). */
async function patternScores(model: Model, seqs: Repeated[]) {
  const s = await headPatternScores(model, seqs);
  return { prev: s.prevToken[0], ind: s.induction[1] };
}

/**
 * Head attribution for the next token at a repeated position (the logit of the token that follows), per head and
 * layer, summed over positions (a previous-token head acts where the earlier occurrence is; layer-1 heads matter
 * only at the target position, since nothing reads them later): grad × act, integrated gradients (each layer's
 * heads scaled together at every position, m = 32) and exact ablation (the drop of the target when the head is
 * zeroed, one position at a time).
 */
async function headAttribution(model: Model, seqs: Repeated[]) {
  const H = model.config.nHead;
  const zero = () => [new Float64Array(H), new Float64Array(H)];
  const out = { gxa: zero(), ig: zero(), ablation: zero() };
  for (const s of seqs) {
    const q = s.repeated[Math.floor(s.repeated.length / 2)];
    const ids = s.ids.slice(0, q + 1);
    const target = { kind: 'logit' as const, token: s.ids[q + 1] };
    const runs = {
      gxa: await attribute(model, { ids, target, method: 'gxa', kinds: ['head'], positions: 'all' }),
      ig: await attribute(model, { ids, target, method: 'ig', steps: 32, kinds: ['head'], positions: 'all' }),
      ablation: await attribute(model, { ids, target, method: 'ablate', kinds: ['head'], positions: 'all' }),
    };
    for (const k of ['gxa', 'ig', 'ablation'] as const) {
      // One sign convention: ablation scores are target − target(ablated), like gxa and IG (a drop is importance).
      for (const l of [0, 1]) {
        const d = runs[k].scores[`blocks.${l}.attn.hook_z`].data;
        for (let t = 0; t <= q; t++) for (let h = 0; h < H; h++) out[k][l][h] += d[t * H + h];
      }
    }
  }
  return out;
}

async function accuracy(model: Model, seqs: Repeated[]) {
  const V = model.config.vocabSize;
  let right = 0;
  let n = 0;
  for (const s of seqs) {
    const r = await runModel(model, { inputIds: [s.ids], logits: 'all' });
    for (const t of s.repeated) {
      right += argmax(r.logits!.data.subarray(t * V, (t + 1) * V)) === s.ids[t + 1] ? 1 : 0;
      n++;
    }
  }
  return right / n;
}

describe('known circuit on a hand-built induction model', () => {
  let model: Model;
  const seqs: Repeated[] = [];
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = circuitModel();
    // A span of 10 distinct tokens, then the span again and two more of it.
    const rng = new Rng(31);
    for (let i = 0; i < 6; i++) {
      const perm = Array.from({ length: CIRCUIT_V }, (_, v) => v);
      for (let k = 0; k < 10; k++) {
        const j = k + rng.int(CIRCUIT_V - k);
        [perm[k], perm[j]] = [perm[j], perm[k]];
      }
      const span = perm.slice(0, 10);
      const ids = [...span, ...span, span[0], span[1]];
      seqs.push({ ids, repeated: Array.from({ length: 11 }, (_, k) => 10 + k) });
    }
  });
  afterAll(() => model.dispose());

  it('attribution ranks the previous-token head first in layer 0 and the induction head first in layer 1', async () => {
    expect(await accuracy(model, seqs)).toBeGreaterThan(0.7);
    const { prev, ind } = await patternScores(model, seqs);
    expect(argmax(prev)).toBe(0);
    expect(argmax(ind)).toBe(0);
    expect(margin(prev)).toBeGreaterThan(0.5);
    expect(margin(ind)).toBeGreaterThan(0.5);
    const before = live();
    const a = await headAttribution(model, seqs);
    expect(live()).toBe(before);
    expect({ ig: argmax(a.ig[1]), ablation: argmax(a.ablation[1]), gxa: argmax(a.gxa[1]) }).toEqual({ ig: 0, ablation: 0, gxa: 0 });
    expect({ ig: argmax(a.ig[0]), ablation: argmax(a.ablation[0]) }).toEqual({ ig: 0, ablation: 0 });
    // grad × act does not find the previous-token head: its effect passes through the induction head's saturated
    // softmax, where the local gradient says little (here it is even negative). IG and ablation measure the effect.
    expect(a.gxa[0][0]).toBeLessThan(a.ig[0][0]);
    // The distractors get small scores of their own, not zero.
    expect(Math.abs(a.ablation[0][1])).toBeGreaterThan(0);
    expect(Math.abs(a.ig[1][1])).toBeGreaterThan(0);
  });
});

describe.skipIf(!bundled)('known circuit on the bundled induction model', () => {
  let model: Model;
  let seqs: Repeated[];
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(DIR);
    const T = model.config.nCtx;
    seqs = inductionEvalSet(6, T + 1, Math.min(64, model.config.vocabSize), 777).map((s) => ({ ids: s.ids.slice(0, T), repeated: s.repeated.filter((t) => t + 1 < T) }));
  });
  afterAll(() => model?.dispose());

  it('the model predicts the repeats', async () => {
    expect(await accuracy(model, seqs)).toBeGreaterThan(0.8);
  });

  it('attribution ranks the previous-token head first in layer 0 and an induction head first in layer 1', async () => {
    const { prev, ind } = await patternScores(model, seqs);
    // One clear previous-token head in layer 0 (PREV_MIN); in layer 1 every head with a clear induction pattern counts (a model
    // may grow several).
    const inductionHeads = Array.from(ind.keys()).filter((h) => ind[h] > 0.3);
    // The heads must be there: the bundled model is the ground truth this test checks attribution against.
    expect(prev[argmax(prev)], `best previous-token score in layer 0 (${Array.from(prev, (x) => x.toFixed(3)).join(', ')})`).toBeGreaterThan(PREV_MIN);
    expect(margin(prev), 'margin of the previous-token head over the other layer-0 heads').toBeGreaterThan(0.2);
    expect(inductionHeads.length, `induction heads in layer 1 (scores ${Array.from(ind, (x) => x.toFixed(3)).join(', ')})`).toBeGreaterThan(0);
    const a = await headAttribution(model, seqs);
    for (const k of ['ig', 'ablation', 'gxa'] as const) expect(inductionHeads, `${k} in layer 1`).toContain(argmax(a[k][1]));
    expect({ ig: argmax(a.ig[0]), ablation: argmax(a.ablation[0]) }).toEqual({ ig: argmax(prev), ablation: argmax(prev) });
  });
});
