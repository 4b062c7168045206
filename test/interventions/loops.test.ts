/** Repetition metrics, the loop-neuron sweep's code path on a tiny model, and the held-out loss it reports. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBatch } from '../../src/analysis/generate';
import {
  findLoopingPrompts,
  heldOutLoss,
  loopNeuronSweep,
  neuronEdit,
  repeatedNgramRate,
  repeatedPositions,
  screenLoopNeurons,
} from '../../src/analysis/loops';
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { windowLoss } from '../../src/train/evaluate';
import { liveTensors, tinyCharModel, useBackend } from './helpers';

let model: Model;
beforeAll(async () => {
  await useBackend('cpu');
  model = tinyCharModel({ nCtx: 32 }, 11);
});
afterAll(() => model.dispose());

const prompt = (i: number) => Array.from({ length: 6 }, (_, t) => (i * 7 + t * (i + 3)) % 20);

describe('repetition metrics', () => {
  it('repeated 4-gram rate: share of 4-grams seen before in the same sequence', () => {
    expect(repeatedNgramRate([1, 2, 3, 4, 5, 6])).toBe(0);
    // abcabcabc: 4-grams abca bcab cabc abca bcab cabc → the last 3 repeat.
    expect(repeatedNgramRate([1, 2, 3, 1, 2, 3, 1, 2, 3])).toBeCloseTo(3 / 6);
    expect(repeatedNgramRate([7, 7, 7, 7, 7, 7])).toBeCloseTo(2 / 3);
    expect(repeatedNgramRate([1, 2])).toBe(0);
    expect(repeatedPositions([1, 2, 3, 1, 2, 3, 1, 2, 3])).toEqual([6, 7, 8]);
  });
});

describe('loop sweep', () => {
  it('held-out loss matches the trainer’s window loss, and edits change it', async () => {
    const windows = [0, 1, 2, 3].map((i) => Array.from({ length: 17 }, (_, t) => (i * 5 + t * 3) % 21));
    const clean = await heldOutLoss(model, windows);
    expect(clean).toBeCloseTo(await windowLoss(model.weights, model.config, windows), 4);
    const edited = await heldOutLoss(model, windows, [neuronEdit({ layer: 1, index: 3 }, 'flip')]);
    expect(edited).not.toBeCloseTo(clean, 6);
  });

  it('finds looping prompts by their greedy continuation', async () => {
    const cands = Array.from({ length: 8 }, (_, i) => prompt(i));
    const r = await findLoopingPrompts(model, { candidates: cands, maxTokens: 20, threshold: 0.3 });
    expect(r.rates).toHaveLength(8);
    expect(r.looping).toEqual(r.rates.flatMap((x, i) => (x >= 0.3 ? [i] : [])));
    // The random tiny model loops on most prompts under greedy decoding.
    expect(r.looping.length).toBeGreaterThan(0);
  });

  it('screening scores are Σ activation × gradient of log p(loop token)', async () => {
    const p = prompt(1);
    const { generated } = await generateBatch(model, { prompts: [p], maxTokens: 16 });
    const cont = generated[0];
    const score = await screenLoopNeurons(model, { prompts: [p], continuations: [cont], positionsPerPrompt: 2 });
    const reps = repeatedPositions(cont);
    expect(reps.length).toBeGreaterThan(1);
    // Manually: the two chosen positions (first and middle of the repeated ones).
    const full = [...p, ...cont];
    const input = full.slice(0, full.length - 1);
    const chosen = [reps[0], reps[Math.floor(reps.length / 2)]];
    const M = model.config.dMlp;
    const want = new Float64Array(2 * M);
    for (const j of chosen) {
      const r = await runModel(model, {
        inputIds: [input],
        capture: ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post'],
        target: { kind: 'logprob', position: p.length + j - 1, token: full[p.length + j] },
        logits: 'none',
      });
      ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post'].forEach((h, l) => {
        const a = r.activations[h].data;
        const g = r.grads[h].data;
        for (let i = 0; i < a.length; i++) want[l * M + (i % M)] += a[i] * g[i];
      });
    }
    for (let u = 0; u < 2 * M; u++) expect(score[u]).toBeCloseTo(want[u], 5);
  });

  it('verifies the screened neurons by generation and reports the best edit, random baseline, test prompts and loss', async () => {
    const cands = Array.from({ length: 10 }, (_, i) => prompt(i));
    const found = await findLoopingPrompts(model, { candidates: cands, maxTokens: 16, threshold: 0.2 });
    const looping = found.looping.map((i) => cands[i]);
    expect(looping.length).toBeGreaterThanOrEqual(2);
    const windows = [0, 1].map((i) => Array.from({ length: 17 }, (_, t) => (i * 5 + t * 3) % 21));
    const before = liveTensors();
    let progress = 0;
    const rep = await loopNeuronSweep(
      model,
      { prompts: looping.slice(0, -1), testPrompts: looping.slice(-1), heldOut: windows, maxTokens: 16, candidates: 3, randomBaseline: 2, positionsPerPrompt: 3, seed: 2, batchSize: 8 },
      { onProgress: (d, t) => (progress = d / t) },
    );
    expect(liveTensors()).toBe(before);
    expect(progress).toBe(1);
    expect(rep.trials).toHaveLength(6);
    expect(rep.random).toHaveLength(4);
    expect(rep.best.rate).toBe(Math.min(...rep.trials.map((t) => t.rate)));
    expect(rep.bestRandom!.rate).toBe(Math.min(...rep.random.map((t) => t.rate)));
    // Trials are the screened neurons, best score first.
    const scores = rep.trials.filter((t) => t.op === 'zero').map((t) => t.score!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The reported rates are those of real generation with the edit.
    const edit = neuronEdit(rep.best.neuron, rep.best.op);
    const g = await generateBatch(model, { prompts: looping.slice(0, -1), edits: [edit], maxTokens: 16 });
    const rates = g.generated.map((x) => repeatedNgramRate(x));
    expect(rep.best.rate).toBeCloseTo(rates.reduce((a, b) => a + b, 0) / rates.length, 10);
    expect(rep.cleanRate).toBeCloseTo(rep.examples.reduce((a, e) => a + e.cleanRate, 0) / rep.examples.length, 10);
    expect(rep.test!.prompts).toBe(1);
    expect(rep.loss!.clean).toBeCloseTo(await heldOutLoss(model, windows), 6);
    expect(rep.loss!.edited).toBeCloseTo(await heldOutLoss(model, windows, [edit]), 6);
    expect(rep.loss!.delta).toBeCloseTo(rep.loss!.edited - rep.loss!.clean, 6);
  });
});
