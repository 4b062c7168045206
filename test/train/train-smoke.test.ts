import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { Trainer, type TrainerState } from '../../src/train/trainer';
import { RECIPES } from '../../scripts/train/recipes';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await initBackend('wasm');
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.each(['polyglot', 'induction'])('%s --tiny', (name) => {
  it('trains: the loss falls and held-out figures are finite', async () => {
    const recipe = RECIPES[name](true);
    const t = new Trainer(recipe.config, recipe.settings);
    const before = await recipe.evaluate(t.weights);
    await t.run({ sample: recipe.sample, evaluate: recipe.evaluate });
    const after = t.state.history[t.state.history.length - 1].eval!;
    const train = t.state.history.map((h) => h.train);
    expect(t.state.step).toBe(recipe.settings.steps);
    for (const v of Object.values(after)) expect(Number.isFinite(v)).toBe(true);
    // polyglot: from ln V towards character statistics; induction --tiny: tokens from 8 of 64 symbols (ln 65 → ln 8).
    expect(mean(train.slice(-5))).toBeLessThan(mean(train.slice(0, 5)) - 0.5);
    expect(after.val).toBeLessThan(before.val - 0.5);
    t.dispose();
  });
});

describe('resuming', () => {
  it('a run restored from a mid-run snapshot ends with the same weights as an uninterrupted one', async () => {
    const recipe = RECIPES.polyglot(true);
    const settings = { ...recipe.settings, steps: 12, evalEvery: 6, checkpointEvery: 6 };
    const evaluate = async () => ({ val: 0 });
    const a = new Trainer(recipe.config, settings);
    let saved: { state: TrainerState; tensors: Map<string, Float32Array> } | null = null;
    await a.run({
      sample: recipe.sample,
      evaluate,
      async onCheckpoint(t) {
        if (t.state.step !== 6) return;
        const tensors = new Map((await t.snapshot()).map((s) => [s.name, s.data.slice()] as [string, Float32Array]));
        saved = { state: JSON.parse(JSON.stringify(t.state)), tensors };
      },
    });
    expect(saved).not.toBeNull();
    const b = new Trainer(recipe.config, settings);
    b.restore(saved!);
    expect(b.state.step).toBe(6);
    await b.run({ sample: recipe.sample, evaluate });
    expect(b.state.step).toBe(12);
    expect(b.state.history.map((h) => h.train)).toEqual(a.state.history.map((h) => h.train));
    for (const [k, p] of a.params) expect(Array.from(b.params.get(k)!.dataSync()), k).toEqual(Array.from(p.dataSync()));
    a.dispose();
    b.dispose();
  });
});
