/**
 * npm run train -- RECIPE [--tiny] [--steps N] [--lr X] [--stop-at N] [--fresh | --resume] [--out DIR]
 * (--out DIR: run folder instead of runs/RECIPE[-tiny]; a run with --out is not exported to public/models.)
 * Trains a bundled model on the WASM backend; checkpoints (Hugging Face layout + optimiser state) go to
 * runs/RECIPE[-tiny]/ every few hundred steps and a stopped run resumes from there. A finished full run is
 * exported to public/models/RECIPE/ (config.json, model.safetensors, tokenizer.json, metrics.json,
 * history.json, loss.svg).
 */
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { toHfConfig } from '../../src/engine/config';
import { bytesSource } from '../../src/engine/bytes';
import { encodeSafetensors } from '../../src/engine/safetensors-write';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { lineChartSvg } from '../../src/train/svg';
import { Trainer, type TrainerState } from '../../src/train/trainer';
import { writeCard } from './card';
import { RECIPES, type Recipe } from './recipes';
import { VISION_RECIPES } from './vision-recipes';

const argv = process.argv.slice(2);
const valueOf = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const name = argv.find((a, i) => !a.startsWith('--') && !['--steps', '--out', '--stop-at', '--lr'].includes(argv[i - 1]));
const outArg = valueOf('--out');
const tiny = argv.includes('--tiny');
// A --tiny smoke run always starts afresh (it takes seconds); a full run resumes unless --fresh.
const fresh = argv.includes('--fresh') || (tiny && !argv.includes('--resume'));
if (name && VISION_RECIPES[name]) {
  // Image classifiers train through their own loop (vision-train.ts).
  const { trainVision } = await import('./vision-train');
  await trainVision(argv);
  process.exit(0);
}
if (!name || !RECIPES[name]) {
  console.error(`usage: npm run train -- (${[...Object.keys(RECIPES), ...Object.keys(VISION_RECIPES)].join('|')}) [--tiny] [--steps N] [--lr X] [--stop-at N] [--fresh | --resume] [--out DIR]`);
  process.exit(2);
}

tf.env().set('PROD', true);
await initBackend('wasm');
const recipe: Recipe = RECIPES[name](tiny);
if (valueOf('--steps') !== undefined) {
  recipe.settings.steps = Number(valueOf('--steps'));
  if (!(recipe.settings.steps > 0)) throw new Error(`--steps must be a positive number (got ${valueOf('--steps')})`);
}
if (valueOf('--lr') !== undefined) {
  recipe.settings.lr = Number(valueOf('--lr'));
  if (!(recipe.settings.lr > 0)) throw new Error(`--lr must be a positive number (got ${valueOf('--lr')})`);
}
if (valueOf('--stop-at') !== undefined) {
  // Train along the recipe's schedule (planned for `steps`) but stop at this step: a shortened run.
  recipe.settings.stopAt = Number(valueOf('--stop-at'));
  if (!(recipe.settings.stopAt > 0)) throw new Error(`--stop-at must be a positive number (got ${valueOf('--stop-at')})`);
}
const runDir = outArg ?? join('runs', tiny ? `${name}-tiny` : name);
mkdirSync(runDir, { recursive: true });

export async function writeModel(dir: string, t: Trainer, r: Recipe): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(r.config, { bos_token_id: 0, eos_token_id: 0 }), null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(r.tokenizer));
  const tensors = [];
  for (const [k, p] of t.params) tensors.push({ name: `transformer.${k}`, shape: p.shape, data: (await p.data()) as Float32Array });
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt', producer: 'pathlight train' }));
}

const trainer = new Trainer(recipe.config, recipe.settings);
const statePath = join(runDir, 'trainer.json');
if (!fresh && existsSync(statePath)) {
  const state: TrainerState = JSON.parse(readFileSync(statePath, 'utf8'));
  const src = bytesSource(new Uint8Array(readFileSync(join(runDir, 'trainer.safetensors'))));
  const header = await parseSafetensorsHeader(src);
  const tensors = new Map<string, Float32Array>();
  for (const e of header.tensors.values()) tensors.set(e.name, await readTensor(src, header, e));
  trainer.restore({ state, tensors });
  console.error(`resuming ${runDir} at step ${state.step}`);
}

const fmt = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
let tpsAvg = 0;
await trainer.run({
  sample: recipe.sample,
  evaluate: recipe.evaluate,
  stopWhen: recipe.stopWhen,
  onProgress(p) {
    tpsAvg = tpsAvg === 0 ? p.tokensPerSec : 0.95 * tpsAvg + 0.05 * p.tokensPerSec;
    const width = 24;
    const done = Math.round((width * p.step) / p.steps);
    const eta = ((p.steps - p.step) * recipe.settings.batch * recipe.config.nCtx) / Math.max(1, tpsAvg);
    process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ${tpsAvg.toFixed(0)} tok/s ETA ${fmt(eta)}   `);
  },
  onEval(step, m) {
    process.stderr.write(`\n  eval @${step}: ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}\n`);
  },
  async onCheckpoint(t) {
    await writeModel(runDir, t, recipe);
    writeFileSync(join(runDir, 'trainer.safetensors'), encodeSafetensors(await t.snapshot()));
    writeFileSync(statePath, JSON.stringify(t.state));
  },
});
process.stderr.write('\n');

const st = trainer.state;
const finalEval = [...st.history].reverse().find((h) => h.eval)?.eval ?? {};
const trainTail = st.history.slice(-50);
const metrics = {
  recipe: name,
  tiny,
  steps: st.step,
  planned_steps: recipe.settings.steps,
  stopped_early: Boolean(st.stoppedEarly),
  ...(recipe.settings.stopAt !== undefined ? { stopped_at: recipe.settings.stopAt } : {}),
  tokens: st.tokens,
  wall_time_s: Math.round(st.elapsedMs / 1000),
  tokens_per_s: Math.round(st.tokens / (st.elapsedMs / 1000)),
  train_loss_last50: trainTail.reduce((s, h) => s + h.train, 0) / trainTail.length,
  final: finalEval,
  settings: recipe.settings,
};
writeFileSync(join(runDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
console.log(JSON.stringify(metrics));

const smooth = (pts: Array<[number, number]>, k = 25): Array<[number, number]> =>
  pts.map(([x], i) => [x, pts.slice(Math.max(0, i - k + 1), i + 1).reduce((s, p) => s + p[1], 0) / Math.min(k, i + 1)]);
const svg = lineChartSvg(
  [
    { name: 'train (smoothed)', color: '#1f77b4', points: smooth(st.history.map((h) => [h.step, h.train])) },
    { name: 'held-out', color: '#d62728', points: st.history.filter((h) => h.eval).map((h) => [h.step, h.eval![recipe.heldOutKey]]) },
  ],
  { title: `${name}: loss`, xLabel: 'step', yLabel: 'cross-entropy (nats/token)' },
);
writeFileSync(join(runDir, 'loss.svg'), svg);
writeFileSync(join(runDir, 'history.json'), JSON.stringify(st.history));
if (!tiny && !outArg) {
  const out = join('public', 'models', name);
  mkdirSync(out, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'metrics.json', 'loss.svg', 'history.json']) copyFileSync(join(runDir, f), join(out, f));
  writeFileSync(join(out, 'description.txt'), recipe.description + '\n');
  console.error(`exported to ${out}`);
  await writeCard(name);
}
trainer.dispose();
