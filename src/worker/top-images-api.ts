/**
 * The worker's top-activating images of a vision model's neuron: every bundled example (examples.ts) run through the
 * model clean, in batches at analysis priority (no gradients), blocks.L.mlp.hook_post captured and reduced per image
 * and neuron to its max over tokens, the token where it sits and its value at [CLS]. Those maxima are kept per layer
 * while the same model (from the same folder) is loaded, so another neuron of a layer already run costs no forward pass.
 */
import { fail } from '../engine/errors';
import { batchInputs } from '../engine/inputs';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { TensorData } from '../engine/types';
import type { EngineApi, TopImage } from './api';
import type { Supersede } from './cancel';
import { exampleIndex, loadExamples, type ExampleEntry, type ExampleImage } from './examples';
import { PRIORITIES, type Scheduler } from './scheduler';

export interface TopImagesDeps {
  streams: Supersede;
  scheduler: Scheduler;
  requireModel: () => Model;
  /** The folder (URL ending in '/') the loaded model came from; null for local files and hub models. */
  modelFolder: () => string | null;
}

/** Images per forward pass. */
export const TOP_IMAGES_BATCH = 8;

/** Per example (row) and neuron (column) of one layer, row-major [n × d]: the max over tokens, its token, the value at [CLS]. */
export interface LayerMaxima {
  n: number;
  d: number;
  max: Float32Array;
  token: Int32Array;
  cls: Float32Array;
}

export function emptyMaxima(n: number, d: number): LayerMaxima {
  return { n, d, max: new Float32Array(n * d), token: new Int32Array(n * d), cls: new Float32Array(n * d) };
}

/** Reduces a captured hook_post [B, T, D] into rows offset … offset + B − 1 (the first token wins a tie). */
export function reduceActivations(acts: TensorData, into: LayerMaxima, offset: number): void {
  const [B, T, D] = acts.shape;
  if (D !== into.d || offset + B > into.n) fail(`activations [${acts.shape.join(', ')}] do not fit rows ${offset}… of ${into.n} × ${into.d}`);
  const a = acts.data;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < D; j++) {
      let best = a[b * T * D + j];
      let at = 0;
      for (let t = 1; t < T; t++) {
        const x = a[(b * T + t) * D + j];
        if (x > best) (best = x), (at = t);
      }
      const o = (offset + b) * D + j;
      into.max[o] = best;
      into.token[o] = at;
      into.cls[o] = a[b * T * D + j];
    }
  }
}

/** The k examples with the largest max activation of neuron `index` (descending) and the k with the smallest (ascending); ties in index order. */
export function rankImages(examples: ExampleEntry[], m: LayerMaxima, index: number, k: number): { top: TopImage[]; bottom: TopImage[] } {
  const row = (i: number): TopImage => {
    const o = i * m.d + index;
    return { id: examples[i].id, label: examples[i].label, file: examples[i].file, value: m.max[o], token: m.token[o], cls: m.cls[o] };
  };
  const order = Array.from({ length: m.n }, (_, i) => i).sort((a, b) => m.max[b * m.d + index] - m.max[a * m.d + index] || a - b);
  const up = Array.from({ length: m.n }, (_, i) => i).sort((a, b) => m.max[a * m.d + index] - m.max[b * m.d + index] || a - b);
  return { top: order.slice(0, k).map(row), bottom: up.slice(0, k).map(row) };
}

interface Cache {
  model: Model;
  folder: string | null;
  /** The examples, or why there are none. */
  examples: Promise<ExampleImage[] | { reason: string }>;
  layers: Map<number, LayerMaxima>;
}

export function topImagesApi(d: TopImagesDeps): Pick<EngineApi, 'topImages'> {
  let cache: Cache | null = null;
  // The examples and the maxima belong to one model from one folder: a new load starts afresh.
  // The load is shared by every request that waits on it, so no one request's cancellation stops it.
  const cacheFor = (m: Model, folder: string | null): Cache => {
    if (cache && cache.model === m && cache.folder === folder) return cache;
    const examples = exampleIndex(m, folder).then((ix): Promise<ExampleImage[] | { reason: string }> | { reason: string } =>
      'reason' in ix ? ix : ix.entries.length === 0 ? { reason: `${ix.base}index.json lists no images` } : loadExamples(m, ix.base, ix.entries),
    );
    const c: Cache = { model: m, folder, examples, layers: new Map() };
    // A load that fails is not kept: the next request tries again.
    examples.catch(() => {
      if (cache === c) cache = null;
    });
    return (cache = c);
  };

  return {
    async topImages(key, req, onProgress) {
      const t = d.streams.take(key);
      const m = d.requireModel();
      if (!m.config.vision) fail(`top-activating images need an image classifier; ${m.name} reads text`);
      const { layer, index } = req;
      const k = req.k ?? 8;
      if (!Number.isInteger(layer) || layer < 0 || layer >= m.config.nLayer) fail(`layer must be a whole number from 0 to ${m.config.nLayer - 1} (got ${layer})`);
      if (!Number.isInteger(index) || index < 0 || index >= m.config.dMlp) fail(`neuron must be a whole number from 0 to ${m.config.dMlp - 1} (got ${index})`);
      if (!Number.isInteger(k) || k < 1) fail(`k must be a whole number of at least 1 (got ${k})`);
      const hook = `blocks.${layer}.mlp.hook_post`;
      const c = cacheFor(m, d.modelFolder());
      const examples = await c.examples;
      t.check();
      if (!Array.isArray(examples)) return { layer, index, hook, images: 0, top: [], bottom: [], ran: 0, reason: examples.reason };
      let maxima = c.layers.get(layer);
      let ran = 0;
      if (!maxima) {
        maxima = await d.scheduler.run(PRIORITIES.analysis, async (pause) => {
          const N = examples.length;
          let out: LayerMaxima | null = null;
          for (let s = 0; s < N; s += TOP_IMAGES_BATCH) {
            if (s > 0) await pause();
            t.check();
            const batch = examples.slice(s, s + TOP_IMAGES_BATCH);
            const r = await runModel(m, { ...batchInputs(batch.map((e) => e.pixels)), capture: [hook], logits: 'none' });
            const acts = r.activations[hook];
            out ??= emptyMaxima(N, acts.shape[2]);
            reduceActivations(acts, out, s);
            ran += batch.length;
            onProgress?.(ran, N);
          }
          return out!;
        });
        t.check();
        if (cache === c) c.layers.set(layer, maxima);
      }
      const { top, bottom } = rankImages(examples, maxima, index, k);
      return { layer, index, hook, images: examples.length, top, bottom, ran, reason: null };
    },
  };
}
