/**
 * npm run train -- digits-vit [--tiny] [--steps N] [--fresh | --resume] [--out DIR]
 * (train.ts hands vision recipes to `trainVision`.) Trains the bundled ViT on the WASM backend through the
 * engine's own forward pass; checkpoints (Hugging Face layout + optimiser state) go to runs/NAME[-tiny]/ and a
 * stopped run resumes from there. A finished full run is exported to public/models/NAME/ with its model card,
 * metrics.json and example images (vision-card.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { bytesSource } from '../../src/engine/bytes';
import { encodeSafetensors } from '../../src/engine/safetensors-write';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { lineChartSvg } from '../../src/train/svg';
import { DIGIT_PREPROCESSOR, digitSplit, type Digit } from '../../src/train/vision-data';
import { evaluateDigits } from '../../src/train/vision-eval';
import { vitClassifier, vitForward } from '../../src/train/vision-forward';
import { VisionTrainer, type VisionState } from '../../src/train/vision-trainer';
import { digitsVitConfig, initVitParams, vitDecays, vitTensorShapes } from '../../src/train/vision-vit';
import { VISION_RECIPES, type VisionRecipe } from './vision-recipes';

/** Writes config.json, preprocessor_config.json and model.safetensors (the trainer's parameters, HF names). */
export async function writeVisionModel(dir: string, params: ReadonlyMap<string, tf.Tensor>, r: VisionRecipe): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(digitsVitConfig(r.size), null, 2) + '\n');
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(DIGIT_PREPROCESSOR, null, 2) + '\n');
  const tensors = [];
  for (const [name, shape] of vitTensorShapes(r.size)) tensors.push({ name, shape, data: (await params.get(name)!.data()) as Float32Array });
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt', producer: 'pathlight train' }));
}

const fmt = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

export async function trainVision(argv: string[]): Promise<void> {
  const valueOf = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const name = argv.find((a, i) => !a.startsWith('--') && !['--steps', '--out'].includes(argv[i - 1]))!;
  const tiny = argv.includes('--tiny');
  const outArg = valueOf('--out');
  const fresh = argv.includes('--fresh') || (tiny && !argv.includes('--resume'));
  const recipe = VISION_RECIPES[name](tiny);
  if (valueOf('--steps') !== undefined) {
    recipe.settings.steps = Number(valueOf('--steps'));
    if (!(recipe.settings.steps > 0)) throw new Error(`--steps must be a positive number (got ${valueOf('--steps')})`);
  }
  tf.env().set('PROD', true);
  await initBackend('wasm');
  const runDir = outArg ?? join('runs', tiny ? `${name}-tiny` : name);
  mkdirSync(runDir, { recursive: true });

  const split = digitSplit();
  const train = recipe.trainLimit ? split.train.filter((_, i) => i % Math.ceil(split.train.length / recipe.trainLimit!) === 0) : split.train;
  const evalSet: Digit[] = recipe.evalLimit ? split.heldOut.filter((_, i) => i % Math.ceil(split.heldOut.length / recipe.evalLimit!) === 0) : split.heldOut;
  const hf = digitsVitConfig(recipe.size);
  const forward = vitForward(hf);
  const trainer = new VisionTrainer(initVitParams(vitTensorShapes(recipe.size), recipe.settings.seed), forward, train, recipe.settings, vitDecays);
  const statePath = join(runDir, 'trainer.json');
  if (!fresh && existsSync(statePath)) {
    const state: VisionState = JSON.parse(readFileSync(statePath, 'utf8'));
    const src = bytesSource(new Uint8Array(readFileSync(join(runDir, 'trainer.safetensors'))));
    const header = await parseSafetensorsHeader(src);
    const tensors = new Map<string, Float32Array>();
    for (const e of header.tensors.values()) tensors.set(e.name, await readTensor(src, header, e));
    trainer.restore({ state, tensors });
    console.error(`resuming ${runDir} at step ${state.step}`);
  }

  let ipsAvg = 0;
  await trainer.run({
    async evaluate(params) {
      const e = await evaluateDigits(vitClassifier(forward, params), evalSet);
      return { val_accuracy: e.accuracy, val_loss: e.loss };
    },
    onProgress(p) {
      ipsAvg = ipsAvg === 0 ? p.imagesPerSec : 0.95 * ipsAvg + 0.05 * p.imagesPerSec;
      const done = Math.round((24 * p.step) / p.steps);
      const eta = ((p.steps - p.step) * recipe.settings.batch) / Math.max(1, ipsAvg);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(24 - done)}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ${ipsAvg.toFixed(0)} img/s ETA ${fmt(eta)}   `);
    },
    onEval(step, m) {
      process.stderr.write(`\n  eval @${step} (${evalSet.length} held-out): accuracy ${(100 * m.val_accuracy).toFixed(2)}%, loss ${m.val_loss.toFixed(4)}\n`);
    },
    async onCheckpoint(t) {
      await writeVisionModel(runDir, t.params, recipe);
      writeFileSync(join(runDir, 'trainer.safetensors'), encodeSafetensors(await t.snapshot()));
      writeFileSync(statePath, JSON.stringify(t.state));
    },
  });
  process.stderr.write('\n');

  const st = trainer.state;
  const tail = st.history.slice(-50);
  const training = {
    recipe: name,
    tiny,
    steps: st.step,
    images: st.images,
    epochs: +(st.images / train.length).toFixed(2),
    train_images: train.length,
    wall_time_s: Math.round(st.elapsedMs / 1000),
    images_per_s: Math.round(st.images / (st.elapsedMs / 1000)),
    train_loss_first10: st.history.slice(0, 10).reduce((s, h) => s + h.train, 0) / Math.min(10, st.history.length),
    train_loss_last50: tail.reduce((s, h) => s + h.train, 0) / tail.length,
    final: [...st.history].reverse().find((h) => h.eval)?.eval ?? {},
    size: recipe.size,
    settings: recipe.settings,
  };
  writeFileSync(join(runDir, 'training.json'), JSON.stringify(training, null, 2) + '\n');
  writeFileSync(join(runDir, 'history.json'), JSON.stringify(st.history));
  writeFileSync(join(runDir, 'loss.svg'), lossSvg(name, st.history));
  console.log(JSON.stringify(training));
  trainer.dispose();
  if (!tiny && !outArg) {
    const out = join('public', 'models', name);
    mkdirSync(out, { recursive: true });
    for (const f of ['config.json', 'preprocessor_config.json', 'model.safetensors', 'training.json', 'history.json', 'loss.svg']) copyFileSync(join(runDir, f), join(out, f));
    console.error(`exported to ${out}`);
    const { writeVisionCard } = await import('./vision-card');
    await writeVisionCard(out);
  }
}

/** Training loss (mean of 25 steps) and held-out loss, one chart. */
export function lossSvg(name: string, history: VisionState['history']): string {
  const k = 25;
  const train = history.map((h, i): [number, number] => {
    const w = history.slice(Math.max(0, i - k + 1), i + 1);
    return [h.step, w.reduce((a, p) => a + p.train, 0) / w.length];
  });
  const held = history.filter((h) => h.eval).map((h): [number, number] => [h.step, h.eval!.val_loss]);
  return lineChartSvg(
    [
      { name: `train (mean of ${k} steps)`, color: '#1f77b4', points: train },
      { name: 'held-out', color: '#d62728', points: held },
    ],
    { title: `${name}: training and held-out loss`, xLabel: 'step', yLabel: 'cross-entropy (nats/image)' },
  );
}
