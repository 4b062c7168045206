/**
 * Training the vision model: the trainer's forward pass is the engine's and matches the PyTorch reference of the
 * vit-tiny fixture; a --tiny run learns; the folder it writes loads through the engine's loader and gives the
 * trainer's own logits; a resumed run ends where an uninterrupted one does.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { bytesSource } from '../../src/engine/bytes';
import { loadModelDir } from '../../src/engine/node-load';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { digitSplit } from '../../src/train/vision-data';
import { evaluateDigits } from '../../src/train/vision-eval';
import { modelClassifier, vitClassifier, vitForward } from '../../src/train/vision-forward';
import { VisionTrainer, type VisionState } from '../../src/train/vision-trainer';
import { digitsVitConfig, initVitParams, vitDecays, vitTensorShapes } from '../../src/train/vision-vit';
import { digitsVitRecipe } from '../../scripts/train/vision-recipes';
import { writeVisionModel } from '../../scripts/train/vision-train';
import { VIT_DIR, vitReference } from '../engine/vit-fixture';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-vit-train-'));

beforeAll(async () => {
  tf.env().set('PROD', true);
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recipe = digitsVitRecipe(true);
const { train, heldOut } = digitSplit();
const trainSlice = train.filter((_, i) => i % 9 === 0);
const evalSlice = heldOut.filter((_, i) => i % 15 === 0);
const newTrainer = (settings = recipe.settings) =>
  new VisionTrainer(initVitParams(vitTensorShapes(recipe.size), settings.seed), vitForward(digitsVitConfig(recipe.size)), trainSlice, settings, vitDecays);

describe('vision training', () => {
  it('the forward pass over Hugging Face-named parameters reproduces the PyTorch logits of vit-tiny', async () => {
    const src = bytesSource(new Uint8Array(readFileSync(join(VIT_DIR, 'model.safetensors'))));
    const header = await parseSafetensorsHeader(src);
    const params = new Map<string, tf.Tensor>();
    for (const e of header.tensors.values()) params.set(e.name, tf.tensor(await readTensor(src, header, e), e.shape));
    const ref = vitReference();
    const forward = vitForward(JSON.parse(readFileSync(join(VIT_DIR, 'config.json'), 'utf8')));
    const got = await vitClassifier(forward, params, 3)(Float32Array.from(ref.pixel_values.data), 1);
    const worst = ref.logits.data.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([...params.values()]);
  });

  it('--tiny learns (held-out loss from ln 10 down), and the written folder loads in the engine with the same logits', async () => {
    const t = newTrainer();
    const evaluate = async (p: ReadonlyMap<string, tf.Tensor>) => {
      const e = await evaluateDigits(vitClassifier(t.forward, p), evalSlice);
      return { val_accuracy: e.accuracy, val_loss: e.loss };
    };
    const before = await evaluate(t.params);
    // The classifier starts near zero: every class about 1/10.
    expect(Math.abs(before.val_loss - Math.log(10))).toBeLessThan(0.1);
    await t.run({ evaluate });
    const after = t.state.history[t.state.history.length - 1].eval!;
    expect(after.val_loss).toBeLessThan(before.val_loss - 0.2);
    expect(after.val_accuracy).toBeGreaterThan(0.15);

    await writeVisionModel(dir, t.params, recipe);
    const model = await loadModelDir(dir);
    const sample = evalSlice.slice(0, 16);
    const ours = await evaluateDigits(vitClassifier(t.forward, t.params), sample);
    const engine = await evaluateDigits(modelClassifier(model), sample);
    expect(engine.predictions).toEqual(ours.predictions);
    expect(Math.abs(engine.loss - ours.loss)).toBeLessThan(1e-5);
    model.dispose();
    t.dispose();
  }, 60_000);

  it('a run restored from a mid-run snapshot ends with the same weights as an uninterrupted one', async () => {
    const settings = { ...recipe.settings, steps: 8, evalEvery: 4, checkpointEvery: 4 };
    const evaluate = async () => ({ val_loss: 0 });
    const a = newTrainer(settings);
    let saved: { state: VisionState; tensors: Map<string, Float32Array> } | null = null;
    await a.run({
      evaluate,
      async onCheckpoint(t) {
        if (t.state.step !== 4) return;
        saved = { state: JSON.parse(JSON.stringify(t.state)), tensors: new Map((await t.snapshot()).map((s) => [s.name, s.data.slice()] as [string, Float32Array])) };
      },
    });
    const b = newTrainer(settings);
    b.restore(saved!);
    await b.run({ evaluate });
    expect(b.state.history.map((h) => h.train)).toEqual(a.state.history.map((h) => h.train));
    for (const [k, p] of a.params) expect(Array.from(b.params.get(k)!.dataSync()), k).toEqual(Array.from(p.dataSync()));
    a.dispose();
    b.dispose();
  }, 60_000);
});
