/**
 * `pathlight classpaths`: class-level NeuronPath analysis of the bundled digits model over its held-out digits —
 * the class × neuron frequency matrix and the within- vs between-class overlap of the paths (JSON, or the matrix
 * as CSV) — and with `--faithfulness` the removal / enhancement experiment on the same images.
 */
import { classPaths, topNeurons, type LabelledImage } from '../../analysis/class-paths';
import { faithfulness } from '../../analysis/faithfulness';
import type { PositionSpec } from '../../analysis/scores';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { DIGIT_LABELS, DIGIT_SIZE, digitSplit, HELD_OUT_PER_DIGIT, pixelValues } from '../../train/vision-data';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { withModel } from './attribute';

export const CLASSPATHS_USAGE =
  'classpaths --model digits-vit [--per-class N] [--offset K] [--positions all|cls] [--steps m] [--resamples R] [--seed s] [--format json|csv] [--faithfulness [--random-paths R]]  (held-out MNIST digits: the first N after K of each class)';

/** The held-out digits (src/train/vision-data.ts), `perClass` of every class starting at `offset`, as labelled images. */
export function heldOutImages(perClass: number, offset = 0): LabelledImage[] {
  if (offset + perClass > HELD_OUT_PER_DIGIT) fail(`--offset ${offset} + --per-class ${perClass} exceeds the ${HELD_OUT_PER_DIGIT} held-out digits per class`);
  const { heldOut } = digitSplit();
  return DIGIT_LABELS.flatMap((_, label) => heldOut.filter((d) => d.label === label).slice(offset, offset + perClass)).map((d) => ({
    id: d.id,
    label: d.label,
    pixels: { shape: [1, DIGIT_SIZE, DIGIT_SIZE], data: pixelValues([d]) },
  }));
}

/** Refuses a model that does not read the digits (28×28, one channel, 10 classes). */
export function checkDigitsModel(model: Model): void {
  const v = model.config.vision;
  if (!v) fail(`classpaths needs the digits image classifier (digits-vit); this ${model.config.modelType} model reads text`);
  if (v.channels !== 1 || v.imageSize[0] !== DIGIT_SIZE || v.imageSize[1] !== DIGIT_SIZE || model.config.vocabSize !== DIGIT_LABELS.length)
    fail(`classpaths runs on the held-out MNIST digits: the model must take 1×${DIGIT_SIZE}×${DIGIT_SIZE} images and have ${DIGIT_LABELS.length} classes (it takes ${v.channels}×${v.imageSize.join('×')}, ${model.config.vocabSize} classes)`);
}

function positionsOf(raw: string | undefined): PositionSpec {
  if (raw === undefined || raw === 'all') return 'all';
  if (raw === 'cls') return 0;
  fail(`--positions: "${raw}" is not all or cls`);
}

/** The class × neuron matrix as CSV: a header of node ids, one row per class (its label, images, counts). */
export function matrixCsv(m: { classes: number[]; images: number[]; neurons: string[]; counts: number[][] }): string {
  return [['class', 'images', ...m.neurons].join(','), ...m.classes.map((c, i) => [c, m.images[i], ...m.counts[i]].join(','))].join('\n') + '\n';
}

export async function classpathsCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'backend', 'per-class', 'offset', 'positions', 'steps', 'resamples', 'seed', 'format', 'faithfulness', 'random-paths']);
  const format = flag(args, 'format') ?? 'json';
  if (format !== 'json' && format !== 'csv') fail(`--format: "${format}" is not json or csv`);
  const withFaith = args.flags.has('faithfulness');
  if (withFaith && format === 'csv') fail('--format csv prints the class × neuron matrix only; drop it with --faithfulness');
  if (!withFaith && args.flags.has('random-paths')) fail('--random-paths is only used with --faithfulness');
  const perClass = numberFlag(args, 'per-class', 10, { integer: true, min: 1, max: HELD_OUT_PER_DIGIT });
  const offset = numberFlag(args, 'offset', 0, { integer: true, min: 0, max: HELD_OUT_PER_DIGIT - 1 });
  const positions = positionsOf(flag(args, 'positions'));
  const steps = numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 });
  const seed = numberFlag(args, 'seed', 1, { integer: true });
  const resamples = numberFlag(args, 'resamples', 1000, { integer: true, min: 1, max: 100000 });
  const randomPaths = withFaith ? numberFlag(args, 'random-paths', 20, { integer: true, min: 0, max: 1000 }) : 0;
  const out = await withModel(args, async (model) => {
    checkDigitsModel(model);
    const images = heldOutImages(perClass, offset);
    const r = await classPaths(model, images, { steps, positions, resamples, seed });
    const f = withFaith ? await faithfulness(model, images.map((im) => ({ ids: im.pixels, token: im.label })), { steps, seed, positions, randomPaths, bootstrap: resamples }) : null;
    return { r, f };
  });
  const { r, f } = out;
  if (format === 'csv') return matrixCsv(r.matrix);
  return {
    backend: out.backend,
    images: r.images.length,
    per_class: perClass,
    offset,
    positions: r.positions,
    steps,
    accuracy: r.images.filter((i) => i.predicted === i.label).length / r.images.length,
    overlap_meaning: 'share of layers at which two images hold the same path neuron; within: pairs of one class, between: pairs of different classes; ci95: bootstrap of within − between (images resampled within their class); p_permutation: labels shuffled',
    overlap: r.overlap,
    top_neurons: topNeurons(r.matrix, 5),
    matrix: r.matrix,
    paths: r.images,
    ...(f ? { faithfulness: { target: 'the image’s label (class probability)', summary: f.summary, paired: f.paired, random: f.random, rows: f.rows } } : {}),
  };
}
