/**
 * The statistics of class-level neuron paths (src/analysis/class-paths.ts), pure and without the engine so the page
 * can shape and show them: the methods compared, the class × neuron count matrix of labelled paths, and the
 * within- vs between-class overlap with its bootstrap interval and permutation p-value.
 */
import { fail } from '../engine/errors';
import { formatNodeId, type NodeId } from '../engine/nodeid';
import { Rng } from './rng';

/** The path-finding methods compared at class level: NeuronPath and the baselines findPath returns. */
export const CLASS_PATH_METHODS = ['neuronpath', 'activation', 'layer_ig', 'gxa'] as const;
export type ClassPathMethod = (typeof CLASS_PATH_METHODS)[number];

export interface ImagePath {
  id: string;
  label: number;
  /** The model's own class for the image. */
  predicted: number;
  /** Node ids of each method's path, one per layer. */
  paths: Record<ClassPathMethod, NodeId[]>;
  /** Neuron index per layer of each method's path. */
  neurons: Record<ClassPathMethod, number[]>;
}

export interface Overlap {
  /** Mean overlap over pairs of distinct images of the same class, and of different classes. */
  within: number;
  between: number;
  withinPairs: number;
  betweenPairs: number;
  /** within − between, with its 95% bootstrap interval (images resampled within their class). */
  diff: number;
  ci95: [number, number];
  /** Share of label permutations with within − between at least the observed one (one-sided, +1 smoothed). */
  pPermutation: number;
  /** Mean within-class overlap per class (NaN for a class with fewer than 2 images). */
  perClass: number[];
}

export interface ClassNeuronMatrix {
  classes: number[];
  /** Images per class. */
  images: number[];
  /** Columns: every (layer, neuron) on some image's path, by layer then index. */
  neurons: NodeId[];
  /** counts[c][j]: images of classes[c] whose path holds neurons[j]. */
  counts: number[][];
}

/** Share of layers at which two paths (neuron index per layer) hold the same neuron. */
export function pathOverlap(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) fail(`paths of ${a.length} and ${b.length} layers cannot be compared`);
  let s = 0;
  for (let l = 0; l < a.length; l++) if (a[l] === b[l]) s++;
  return a.length === 0 ? 0 : s / a.length;
}

/** The class × neuron count matrix of paths (neuron index per layer) with their labels. */
export function classNeuronMatrix(paths: ReadonlyArray<{ label: number; neurons: readonly number[] }>): ClassNeuronMatrix {
  const classes = [...new Set(paths.map((p) => p.label))].sort((a, b) => a - b);
  const keys = new Map<string, [number, number]>();
  for (const p of paths) p.neurons.forEach((n, l) => keys.set(`${l}:${n}`, [l, n]));
  const cols = [...keys.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const col = new Map(cols.map(([l, n], j) => [`${l}:${n}`, j]));
  const counts = classes.map(() => new Array<number>(cols.length).fill(0));
  const images = classes.map(() => 0);
  for (const p of paths) {
    const c = classes.indexOf(p.label);
    images[c]++;
    p.neurons.forEach((n, l) => counts[c][col.get(`${l}:${n}`)!]++);
  }
  return { classes, images, neurons: cols.map(([layer, index]) => formatNodeId({ kind: 'neuron', layer, index, position: null })), counts };
}

/** Mean within- and between-class overlap of the images `idx` (indices into O, labels `lab`); same-image pairs skipped. */
function means(O: Float64Array, n: number, idx: readonly number[], lab: readonly number[]): { within: number; between: number; wp: number; bp: number } {
  let w = 0;
  let b = 0;
  let wp = 0;
  let bp = 0;
  for (let x = 0; x < idx.length; x++) {
    for (let y = x + 1; y < idx.length; y++) {
      const i = idx[x];
      const j = idx[y];
      if (i === j) continue;
      if (lab[x] === lab[y]) (w += O[i * n + j]), wp++;
      else (b += O[i * n + j]), bp++;
    }
  }
  return { within: wp ? w / wp : NaN, between: bp ? b / bp : NaN, wp, bp };
}

/** Within- vs between-class overlap of labelled paths, with a stratified bootstrap interval and a permutation p-value. */
export function classOverlap(paths: ReadonlyArray<{ label: number; neurons: readonly number[] }>, resamples = 1000, seed = 1): Overlap {
  const n = paths.length;
  const O = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) O[i * n + j] = O[j * n + i] = pathOverlap(paths[i].neurons, paths[j].neurons);
  const all = paths.map((_, i) => i);
  const labels = paths.map((p) => p.label);
  const obs = means(O, n, all, labels);
  const diff = obs.within - obs.between;
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const members = classes.map((c) => all.filter((i) => labels[i] === c));
  const perClass = members.map((m) => means(O, n, m, m.map(() => 0)).within);
  const rng = new Rng(seed);
  const boot: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const idx: number[] = [];
    const lab: number[] = [];
    members.forEach((m, c) => m.forEach(() => (idx.push(m[rng.int(m.length)]), lab.push(classes[c]))));
    const s = means(O, n, idx, lab);
    if (Number.isFinite(s.within - s.between)) boot.push(s.within - s.between);
  }
  boot.sort((a, b) => a - b);
  const at = (q: number) => (boot.length ? boot[Math.min(boot.length - 1, Math.max(0, Math.round(q * (boot.length - 1))))] : NaN);
  let atLeast = 0;
  const perm = [...labels];
  for (let r = 0; r < resamples; r++) {
    for (let i = perm.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const s = means(O, n, all, perm);
    if (s.within - s.between >= diff - 1e-12) atLeast++;
  }
  return { within: obs.within, between: obs.between, withinPairs: obs.wp, betweenPairs: obs.bp, diff, ci95: [at(0.025), at(0.975)], pPermutation: (atLeast + 1) / (resamples + 1), perClass };
}

/** Per class, the neurons most often on its paths: [node id, share of the class's images], most frequent first. */
export function topNeurons(m: ClassNeuronMatrix, k = 5): Array<{ class: number; images: number; top: Array<[NodeId, number]> }> {
  return m.classes.map((c, ci) => ({
    class: c,
    images: m.images[ci],
    top: m.neurons
      .map((id, j) => [id, m.counts[ci][j] / m.images[ci]] as [NodeId, number])
      .filter(([, f]) => f > 0)
      .sort((a, b) => b[1] - a[1] || m.neurons.indexOf(a[0]) - m.neurons.indexOf(b[0]))
      .slice(0, k),
  }));
}
