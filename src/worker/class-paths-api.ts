/**
 * The worker's class-level path request (the vision workbench's class × neuron matrix): the images (the model's
 * bundled examples, fetched and preprocessed here with the code prepareImage and the CLI use, or the page's own),
 * then src/analysis/class-paths.ts at analysis priority, cancelled by its key.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { classPaths, type LabelledImage } from '../analysis/class-paths';
import { CLASS_PATH_METHODS, classNeuronMatrix, type ClassNeuronMatrix, type ClassPathMethod } from '../analysis/class-path-stats';
import type { EngineApi } from './api';
import type { Supersede } from './cancel';
import { PRIORITIES, type Scheduler } from './scheduler';
import { exampleIndex, loadExamples } from './examples';

export interface ClassPathsDeps {
  streams: Supersede;
  scheduler: Scheduler;
  requireModel: () => Model;
  /** The folder (URL ending in '/') the loaded model came from; null for local files and hub models. */
  modelFolder: () => string | null;
}

/** The first `perClass` examples of each class (index order) of the model's examples/index.json, preprocessed. */
export async function bundledExamples(m: Model, folder: string | null, perClass: number, signal?: AbortSignal): Promise<LabelledImage[]> {
  if (!m.config.vision) fail(`${m.name} reads text, not images`);
  if (!Number.isInteger(perClass) || perClass < 1) fail(`images per class must be a whole number of at least 1 (got ${perClass})`);
  const index = await exampleIndex(m, folder, signal);
  if ('reason' in index) fail(folder ? index.reason : `${index.reason}: give the images to analyse`);
  const taken = new Map<number, number>();
  const chosen = index.entries.filter((e) => {
    const n = taken.get(e.label) ?? 0;
    if (n >= perClass) return false;
    taken.set(e.label, n + 1);
    return true;
  });
  return (await loadExamples(m, index.base, chosen, signal)).map(({ id, label, pixels }) => ({ id, label, pixels }));
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
