/**
 * Direction vectors for steering and reference means for mean ablation:
 * - `hookMeans`: a hook's mean activation over a reference text (per feature), cached per model;
 * - `contrastiveVector`: the mean difference of a hook's activations between two prompt sets (activation
 *   addition / contrastive activation addition);
 * - `neuronDirection`: an MLP neuron's output direction, its row of the MLP output projection (`mlp.out`, c_proj in GPT-2);
 * - `encodeVectorFile` / `decodeVectorFile`: vectors as safetensors (F32, one 1-D tensor per vector, metadata
 *   as JSON under `pathlight.vectors`), readable with Python's `safetensors.safe_open`.
 */
import * as tf from '@tensorflow/tfjs';
import { bytesSource } from '../engine/bytes';
import { featureCount } from '../engine/edits';
import { fail } from '../engine/errors';
import { hookInfo } from '../engine/hooks';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { parseSafetensorsHeader, readTensor } from '../engine/safetensors';
import { encodeSafetensors } from '../engine/safetensors-write';
import type { HookName } from '../engine/types';
import { checkCancelled, type AnalysisOptions } from './options';

/** Splits a long token sequence into consecutive windows of at most `size` tokens (the last may be shorter). */
export function splitWindows(ids: ArrayLike<number>, size: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < ids.length; s += size) out.push(Array.from({ length: Math.min(size, ids.length - s) }, (_, i) => ids[s + i]));
  return out;
}

/** Groups sequence indices by length, so each group runs as one batch. */
function byLength(seqs: number[][], batch: number): number[][] {
  const groups = new Map<number, number[]>();
  seqs.forEach((s, i) => groups.set(s.length, [...(groups.get(s.length) ?? []), i]));
  const out: number[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += batch) out.push(g.slice(i, i + batch));
  return out;
}

/** Sums of captured features per sequence: for each hook, [sequences × features] after `reduce` over positions. */
async function reducedActivations(
  model: Model,
  seqs: number[][],
  hooks: HookName[],
  reduce: 'mean' | 'last',
  opts: AnalysisOptions,
  batch = 16,
): Promise<Record<HookName, Float64Array>> {
  const cfg = model.config;
  const F: Record<HookName, number> = {};
  for (const h of hooks) {
    const info = hookInfo(h, cfg);
    if (info.layout === 'pattern' || h === 'logits') fail(`${h}: means and directions are defined on token-wise hooks, not ${h}`);
    F[h] = featureCount(info, cfg);
  }
  const out: Record<HookName, Float64Array> = {};
  for (const h of hooks) out[h] = new Float64Array(seqs.length * F[h]);
  const groups = byLength(seqs, batch);
  let done = 0;
  for (const g of groups) {
    checkCancelled(opts);
    const T = seqs[g[0]].length;
    const res = await runModel(model, { inputIds: g.map((i) => seqs[i]), capture: hooks, logits: 'none' });
    for (const h of hooks) {
      const f = F[h];
      const data = res.activations[h].data;
      g.forEach((seq, b) => {
        const dst = out[h].subarray(seq * f, (seq + 1) * f);
        const from = reduce === 'last' ? T - 1 : 0;
        for (let t = from; t < T; t++) {
          const base = (b * T + t) * f;
          for (let j = 0; j < f; j++) dst[j] += data[base + j];
        }
        if (reduce === 'mean') for (let j = 0; j < f; j++) dst[j] /= T;
      });
    }
    opts.onProgress?.(++done, groups.length);
  }
  return out;
}

function hashIds(seqs: number[][]): string {
  let h = 0x811c9dc5;
  let n = 0;
  for (const s of seqs) {
    for (const x of [s.length, ...s]) {
      h = Math.imul(h ^ x, 0x01000193) >>> 0;
      n++;
    }
  }
  return `${seqs.length}:${n}:${h.toString(16)}`;
}

const meanCache = new WeakMap<Model, Map<string, Float32Array>>();

/**
 * Mean activation of each hook per feature over every token of a reference text (given as windows of at most
 * n_ctx tokens). Computed once per model, hook and reference, then served from a cache.
 * The result is what `RunRequest.means` takes for `mean` edits.
 */
export async function hookMeans(model: Model, hooks: HookName[], reference: number[][], opts: AnalysisOptions = {}): Promise<Record<HookName, Float32Array>> {
  if (reference.length === 0 || reference.every((s) => s.length === 0)) fail('the reference text for mean activations is empty');
  const seqs = reference.filter((s) => s.length > 0);
  let cache = meanCache.get(model);
  if (!cache) meanCache.set(model, (cache = new Map()));
  const key = hashIds(seqs);
  const missing = [...new Set(hooks)].filter((h) => !cache!.has(`${h}|${key}`));
  if (missing.length > 0) {
    // Token-weighted mean: reduce 'mean' per sequence, then weight by length.
    const sums = await reducedActivations(model, seqs, missing, 'mean', opts);
    const tokens = seqs.reduce((a, s) => a + s.length, 0);
    for (const h of missing) {
      const f = sums[h].length / seqs.length;
      const m = new Float32Array(f);
      seqs.forEach((s, i) => {
        for (let j = 0; j < f; j++) m[j] += (sums[h][i * f + j] * s.length) / tokens;
      });
      cache.set(`${h}|${key}`, m);
    }
  }
  const out: Record<HookName, Float32Array> = {};
  for (const h of hooks) out[h] = cache.get(`${h}|${key}`)!;
  return out;
}

export interface ContrastiveRequest {
  /** Prompts of the set the vector points towards. */
  positive: number[][];
  /** Prompts of the set it points away from. */
  negative: number[][];
  /** Where activations are read, e.g. `blocks.2.hook_resid_pre`. */
  hook: HookName;
  /** Per prompt: the last position's activation (as in CAA) or the mean over positions (default 'mean'). */
  reduce?: 'mean' | 'last';
}

export interface ContrastiveVector {
  hook: HookName;
  vector: Float32Array;
  norm: number;
  /** Mean ‖activation‖ of the two sets, to judge what α means. */
  meanNorm: number;
  positive: number;
  negative: number;
}

/** mean(activations | positive) − mean(activations | negative) at one hook. */
export async function contrastiveVector(model: Model, req: ContrastiveRequest, opts: AnalysisOptions = {}): Promise<ContrastiveVector> {
  if (req.positive.length === 0 || req.negative.length === 0) fail('a contrastive vector needs at least one prompt in each set');
  const all = [...req.positive, ...req.negative];
  for (const s of all) if (s.length === 0) fail('a contrastive prompt is empty');
  const acts = (await reducedActivations(model, all, [req.hook], req.reduce ?? 'mean', opts))[req.hook];
  const f = acts.length / all.length;
  const vector = new Float32Array(f);
  let meanNorm = 0;
  all.forEach((_, i) => {
    const pos = i < req.positive.length;
    const w = pos ? 1 / req.positive.length : -1 / req.negative.length;
    let n2 = 0;
    for (let j = 0; j < f; j++) {
      vector[j] += w * acts[i * f + j];
      n2 += acts[i * f + j] ** 2;
    }
    meanNorm += Math.sqrt(n2) / all.length;
  });
  return { hook: req.hook, vector, norm: Math.hypot(...vector), meanNorm, positive: req.positive.length, negative: req.negative.length };
}

/** The output direction of MLP neuron `index` in block `layer`: row `index` of the MLP output projection (length d_model). */
export async function neuronDirection(model: Model, layer: number, index: number): Promise<Float32Array> {
  const cfg = model.config;
  if (!Number.isInteger(layer) || layer < 0 || layer >= cfg.nLayer) fail(`layer ${layer} does not exist (the model has ${cfg.nLayer} layers)`);
  if (!Number.isInteger(index) || index < 0 || index >= cfg.dMlp) fail(`neuron ${index} is out of range (0..${cfg.dMlp - 1})`);
  const row = tf.slice(model.weights.blocks[layer].mlp.out.weight, [index, 0], [1, cfg.dModel]);
  try {
    return (await row.data()) as Float32Array;
  } finally {
    row.dispose();
  }
}

/** Where a vector came from; stored with it. All fields optional. */
export interface VectorMeta {
  hook?: HookName;
  method?: string;
  model?: string;
  [key: string]: string | number | undefined;
}

export interface NamedVector {
  name: string;
  vector: Float32Array | number[];
  meta?: VectorMeta;
}

const META_KEY = 'pathlight.vectors';

/** Vectors → safetensors bytes. In Python: `safe_open(path, "pt").get_tensor(name)`; metadata: `json.loads(f.metadata()["pathlight.vectors"])`. */
export function encodeVectorFile(vectors: NamedVector[]): Uint8Array {
  if (vectors.length === 0) fail('no vectors to write');
  const names = new Set<string>();
  const meta: Record<string, VectorMeta> = {};
  for (const v of vectors) {
    if (!v.name || names.has(v.name)) fail(`vector name "${v.name}" is empty or repeated`);
    names.add(v.name);
    if (!Array.from(v.vector).every(Number.isFinite)) fail(`vector "${v.name}" holds non-finite values`);
    meta[v.name] = v.meta ?? {};
  }
  return encodeSafetensors(
    vectors.map((v) => ({ name: v.name, shape: [v.vector.length], data: Float32Array.from(v.vector) })),
    { format: 'pt', [META_KEY]: JSON.stringify(meta) },
  );
}

/** safetensors bytes → vectors (every 1-D tensor; 2-D tensors [n, d] give one vector per row, named NAME.i). */
export async function decodeVectorFile(bytes: Uint8Array, fileName = 'vectors.safetensors'): Promise<NamedVector[]> {
  const src = bytesSource(bytes);
  const header = await parseSafetensorsHeader(src, fileName);
  let meta: Record<string, VectorMeta> = {};
  const raw = header.metadata[META_KEY];
  if (raw) {
    try {
      meta = JSON.parse(raw);
    } catch {
      fail(`${fileName}: the "${META_KEY}" metadata is not valid JSON`);
    }
  }
  const out: NamedVector[] = [];
  for (const entry of [...header.tensors.values()].sort((a, b) => a.begin - b.begin)) {
    const data = await readTensor(src, header, entry);
    if (entry.shape.length === 1) out.push({ name: entry.name, vector: data, meta: meta[entry.name] ?? {} });
    else if (entry.shape.length === 2) {
      const [n, d] = entry.shape;
      for (let i = 0; i < n; i++) out.push({ name: `${entry.name}.${i}`, vector: data.slice(i * d, (i + 1) * d), meta: meta[entry.name] ?? {} });
    } else fail(`${fileName}: tensor "${entry.name}" has shape [${entry.shape.join(', ')}]; vectors are 1-D (or 2-D, one per row)`);
  }
  if (out.length === 0) fail(`${fileName}: the file holds no tensors`);
  return out;
}
