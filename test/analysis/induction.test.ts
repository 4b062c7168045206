/**
 * The known circuit of the bundled induction model: a previous-token head in layer 0 feeding an induction head in
 * layer 1. The heads are identified independently, from their attention patterns on repeated random sequences;
 * head attribution (grad × act and exact ablation) must rank the same heads first. Skipped until the trained model
 * is bundled in public/models/induction.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { inductionEvalSet, type InductionSequence } from '../../src/train/induction-data';

const DIR = process.env.PATHLIGHT_INDUCTION_DIR ?? join(__dirname, '..', '..', 'public', 'models', 'induction');
const present = existsSync(join(DIR, 'config.json')) && existsSync(join(DIR, 'model.safetensors'));
const live = () => tf.memory().numTensors - cachedTensorCount();

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};
/** The largest value over the second largest (how clearly one head stands out). */
const margin = (a: ArrayLike<number>) => {
  const s = Array.from(a).sort((x, y) => y - x);
  return s[0] - s[1];
};

describe.skipIf(!present)('known circuit on the induction model', () => {
  let model: Model;
  let seqs: InductionSequence[];
  let H: number;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(DIR);
    H = model.config.nHead;
    seqs = inductionEvalSet(6, Math.min(65, model.config.nCtx), Math.min(64, model.config.vocabSize), 777).map((s) => ({ ...s, ids: s.ids.slice(0, model.config.nCtx) }));
  });
  afterAll(() => model?.dispose());

  /** Per head of each layer, from attention patterns only: previous-token score (layer 0), induction score (layer 1). */
  async function patternScores() {
    const prev = new Float64Array(H);
    const ind = new Float64Array(H);
    for (const s of seqs) {
      const T = s.ids.length;
      const r = await runModel(model, { inputIds: [s.ids], capture: ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern'], logits: 'none' });
      const p0 = r.activations['blocks.0.attn.hook_pattern'].data;
      const p1 = r.activations['blocks.1.attn.hook_pattern'].data;
      const reps = s.repeated.filter((t) => t < T);
      for (let h = 0; h < H; h++) {
        for (let t = 1; t < T; t++) prev[h] += p0[(h * T + t) * T + t - 1] / (T - 1) / seqs.length;
        // At a repeated position t the current token occurred before; an induction head attends to the positions
        // right after its earlier occurrences (keys j whose previous token is the current one).
        for (const t of reps) {
          let mass = 0;
          for (let j = 1; j <= t; j++) if (s.ids[j - 1] === s.ids[t]) mass += p1[(h * T + t) * T + j];
          ind[h] += mass / reps.length / seqs.length;
        }
      }
    }
    return { prev, ind };
  }

  it('the model predicts the repeated span (the circuit is there to find)', async () => {
    let right = 0;
    let n = 0;
    for (const s of seqs) {
      const r = await runModel(model, { inputIds: [s.ids], logits: 'all' });
      const V = model.config.vocabSize;
      for (const t of s.repeated) {
        if (t + 1 >= s.ids.length) continue;
        right += argmax(r.logits!.data.subarray(t * V, (t + 1) * V)) === s.ids[t + 1] ? 1 : 0;
        n++;
      }
    }
    expect(right / n).toBeGreaterThan(0.8);
  });

  it('head attribution ranks the induction head first in layer 1 and the previous-token head first in layer 0', async () => {
    const { prev, ind } = await patternScores();
    const prevHead = argmax(prev);
    const indHead = argmax(ind);
    // The patterns single each head out on their own.
    expect(prev[prevHead]).toBeGreaterThan(0.5);
    expect(ind[indHead]).toBeGreaterThan(0.3);
    expect(margin(prev)).toBeGreaterThan(0.2);
    expect(margin(ind)).toBeGreaterThan(0.1);

    const before = live();
    const gxa0 = new Float64Array(H);
    const gxa1 = new Float64Array(H);
    const abl0 = new Float64Array(H);
    const abl1 = new Float64Array(H);
    for (const s of seqs) {
      // Cut just after the middle of the repeated span: the next token is predictable only by induction.
      const q = s.repeated[Math.floor(s.repeated.length / 2)];
      const ids = s.ids.slice(0, q + 1);
      const target = { kind: 'logit' as const, token: s.ids[q + 1] };
      const g = await attribute(model, { ids, target, method: 'gxa', kinds: ['head'], positions: 'all' });
      const a = await attribute(model, { ids, target, method: 'ablate', kinds: ['head'], positions: 'all' });
      for (let t = 0; t <= q; t++) {
        for (let h = 0; h < H; h++) {
          gxa0[h] += g.scores['blocks.0.attn.hook_z'].data[t * H + h];
          abl0[h] -= a.scores['blocks.0.attn.hook_z'].data[t * H + h];
        }
      }
      // Layer 1 at the target position, where the induction head copies the token.
      for (let h = 0; h < H; h++) {
        gxa1[h] += g.scores['blocks.1.attn.hook_z'].data[q * H + h];
        abl1[h] -= a.scores['blocks.1.attn.hook_z'].data[q * H + h];
      }
    }
    expect(live()).toBe(before);
    expect({ gxa: argmax(gxa1), ablation: argmax(abl1) }).toEqual({ gxa: indHead, ablation: indHead });
    expect({ gxa: argmax(gxa0), ablation: argmax(abl0) }).toEqual({ gxa: prevHead, ablation: prevHead });
  });
});
