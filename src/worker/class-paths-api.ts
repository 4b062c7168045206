/**
 * The worker's class-level path request (the vision workbench's class × neuron matrix): the images (the model's
 * bundled examples, fetched and preprocessed here with the code prepareImage and the CLI use, or the page's own),
 * then src/analysis/class-paths.ts at analysis priority, cancelled by its key.
 */
import { fail } from '../engine/errors';
import { decodeImage } from '../engine/image-decode';
import { preprocessImage } from '../engine/image-preprocess';
import type { Model } from '../engine/model';
import { classPaths, type LabelledImage } from '../analysis/class-paths';
import { CLASS_PATH_METHODS, classNeuronMatrix, type ClassNeuronMatrix, type ClassPathMethod } from '../analysis/class-path-stats';
import type { EngineApi } from './api';
import type { Supersede } from './cancel';
import { PRIORITIES, type Scheduler } from './scheduler';

export interface ClassPathsDeps {
  streams: Supersede;
  scheduler: Scheduler;
  requireModel: () => Model;
  /** The folder (URL ending in '/') the loaded model came from; null for local files and hub models. */
  modelFolder: () => string | null;
}

interface ExampleEntry {
  id: string;
  file: string;
  label: number;
}

/** The first `perClass` examples of each class (index order) of the model's examples/index.json, preprocessed. */
export async function bundledExamples(m: Model, folder: string | null, perClass: number, signal?: AbortSignal): Promise<LabelledImage[]> {
  const v = m.config.vision;
  if (!v) fail(`${m.name} reads text, not images`);
  if (!folder) fail(`${m.name} was not opened from a folder with examples/: give the images to analyse`);
  if (!Number.isInteger(perClass) || perClass < 1) fail(`images per class must be a whole number of at least 1 (got ${perClass})`);
  const base = folder + 'examples/';
  const res = await fetch(base + 'index.json', { signal });
  if (!res.ok) fail(`${m.name} has no example images (${base}index.json: HTTP ${res.status})`);
  const index = (await res.json()) as { images?: ExampleEntry[] };
  const all = Array.isArray(index.images) ? index.images : [];
  const taken = new Map<number, number>();
  const chosen = all.filter((e) => {
    const n = taken.get(e.label) ?? 0;
    if (n >= perClass) return false;
    taken.set(e.label, n + 1);
    return true;
  });
  const out: LabelledImage[] = [];
  for (const e of chosen) {
    const r = await fetch(base + e.file, { signal });
    if (!r.ok) fail(`the example image ${e.file} could not be fetched (HTTP ${r.status})`);
    out.push({ id: e.id, label: e.label, pixels: preprocessImage(decodeImage(new Uint8Array(await r.arrayBuffer()), e.file), v, e.file) });
  }
  return out;
}

export function classPathsApi(d: ClassPathsDeps): Pick<EngineApi, 'classPaths'> {
  return {
    async classPaths(key, req, onProgress) {
      const t = d.streams.take(key);
      const m = d.requireModel();
      if (!m.config.vision) fail(`class paths need an image classifier; ${m.name} reads text`);
      const images = req.images.kind === 'given' ? req.images.images : await bundledExamples(m, d.modelFolder(), req.images.perClass, t.signal);
      t.check();
      const steps = req.steps ?? 20;
      const resamples = req.resamples ?? 1000;
      const r = await d.scheduler.run(PRIORITIES.analysis, (pause) =>
        classPaths(m, images, { steps, positions: req.positions === 'cls' ? 0 : 'all', resamples, seed: req.seed, signal: t.signal, onProgress, pause }),
      );
      t.check();
      const matrices = Object.fromEntries(CLASS_PATH_METHODS.map((k) => [k, classNeuronMatrix(r.images.map((p) => ({ label: p.label, neurons: p.neurons[k] })))])) as Record<ClassPathMethod, ClassNeuronMatrix>;
      return { positions: r.positions, steps: r.steps, resamples, labels: m.config.vision.labels, images: r.images, matrices, overlap: r.overlap };
    },
  };
}
