/**
 * Class-level neuron paths (NeuronPath, ICLR 2025, §5): over labelled images, the path of each image (target: its
 * class), how often each (layer, neuron) is on the paths of a class (a class × neuron matrix), and whether two
 * images of the same class share more path nodes than two images of different classes.
 *
 * Overlap of two paths: the share of layers at which both hold the same neuron (paths have one neuron per layer).
 * Within-class overlap: the mean over every pair of distinct images of one class; between-class: over every pair of
 * different classes. Interval: 95% percentile bootstrap of within − between, resampling images within each class
 * (pairs of one image with its own copy are left out); p-value: a permutation test shuffling the labels.
 */
import { fail } from '../engine/errors';
import type { ModelInput } from '../engine/inputs';
import type { Model } from '../engine/model';
import type { NodeId } from '../engine/nodeid';
import { runModel } from '../engine/run';
import { batchInputs } from '../engine/inputs';
import { betweenSteps, type AnalysisOptions } from './options';
import { findPath, type PathNode, type PathResult } from './path';
import type { PositionSpec } from './scores';
import { argmaxAt } from './targets';
import { CLASS_PATH_METHODS, classNeuronMatrix, classOverlap, type ClassNeuronMatrix, type ClassPathMethod, type ImagePath, type Overlap } from './class-path-stats';

// The statistics live in class-path-stats.ts (pure: the page shapes and shows them too).
export { CLASS_PATH_METHODS, classNeuronMatrix, classOverlap, pathOverlap, topNeurons } from './class-path-stats';
export type { ClassNeuronMatrix, ClassPathMethod, ImagePath, Overlap } from './class-path-stats';

export interface LabelledImage {
  /** A name for the image (e.g. the digit's `LABEL-INDEX`). */
  id: string;
  /** Its class, the path's target. */
  label: number;
  /** The preprocessed image, [C, H, W]. */
  pixels: ModelInput;
}

export interface ClassPathsOptions extends AnalysisOptions {
  /** Integrated-gradient steps of the path search; default 20. */
  steps?: number;
  /** Where paths sit and are scaled; default `all` (every token, the paper's setting). */
  positions?: PositionSpec;
  /** Bootstrap resamples and label permutations; default 1000 each. */
  resamples?: number;
  seed?: number;
}

export interface ClassPathsResult {
  positions: number[];
  steps: number;
  images: ImagePath[];
  /** NeuronPath's class × neuron matrix. */
  matrix: ClassNeuronMatrix;
  /** Within- vs between-class overlap of each method's paths. */
  overlap: Record<ClassPathMethod, Overlap>;
}

/** The image's paths by every method, as neuron indices per layer. */
function pathsOf(r: PathResult): Record<ClassPathMethod, PathNode[]> {
  return { neuronpath: r.path, activation: r.baselines.activation, layer_ig: r.baselines.layer_ig, gxa: r.baselines.gxa! };
}

/** Finds every image's path (target: its label) and the class-level statistics. */
export async function classPaths(model: Model, images: readonly LabelledImage[], o: ClassPathsOptions = {}): Promise<ClassPathsResult> {
  if (!model.config.vision) fail(`class paths need an image classifier; this ${model.config.modelType} model reads text`);
  if (images.length < 2) fail(`class paths: at least 2 images are needed (got ${images.length})`);
  const V = model.config.vocabSize;
  for (const im of images) if (!Number.isInteger(im.label) || im.label < 0 || im.label >= V) fail(`image ${im.id}: label ${im.label} is not a class of the model (0..${V - 1})`);
  const steps = o.steps ?? 20;
  const positions = o.positions ?? 'all';
  const out: ImagePath[] = [];
  let pos: number[] = [];
  for (let i = 0; i < images.length; i++) {
    // Between images: predictions and other work of higher priority first (in the worker), then Cancel.
    await betweenSteps(o);
    const im = images[i];
    const clean = await runModel(model, { ...batchInputs([im.pixels]), logits: 'last' });
    const r = await findPath(model, { ids: im.pixels, target: { kind: 'logit', token: im.label }, steps, positions, runnersUp: 0, seed: (o.seed ?? 1) + i }, { signal: o.signal, pause: o.pause });
    pos = r.positions!;
    const ps = pathsOf(r);
    out.push({
      id: im.id,
      label: im.label,
      predicted: argmaxAt(clean.logits!.data, 0, V),
      paths: Object.fromEntries(CLASS_PATH_METHODS.map((m) => [m, ps[m].map((n) => n.node)])) as Record<ClassPathMethod, NodeId[]>,
      neurons: Object.fromEntries(CLASS_PATH_METHODS.map((m) => [m, ps[m].map((n) => n.index)])) as Record<ClassPathMethod, number[]>,
    });
    o.onProgress?.(i + 1, images.length);
  }
  const R = o.resamples ?? 1000;
  const overlap = Object.fromEntries(CLASS_PATH_METHODS.map((m) => [m, classOverlap(out.map((p) => ({ label: p.label, neurons: p.neurons[m] })), R, o.seed ?? 1)])) as Record<ClassPathMethod, Overlap>;
  return { positions: pos, steps, images: out, matrix: classNeuronMatrix(out.map((p) => ({ label: p.label, neurons: p.neurons.neuronpath }))), overlap };
}

