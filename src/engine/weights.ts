/**
 * The canonical weights record, the same for every architecture (docs/architectures.md), and the loader that
 * fills it from a checkpoint through an architecture's conversion (src/engine/arch/). Linear weights are
 * [in, out]; the block reads nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec, Arr, LinearArrays, NormArrays } from './arch/types';
import { tensorTable, type WeightFile } from './checkpoint';
import { fail } from './errors';
import type { ModelConfig } from './types';

export interface Linear {
  /** [in, out] */
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

export interface Norm {
  weight: tf.Tensor1D;
  /** LayerNorm only. */
  bias?: tf.Tensor1D;
}

export interface BlockWeights {
  ln1: Norm;
  ln2: Norm;
  /** qkv: [D, (H + 2·H_kv)·d_head], columns q heads | k heads | v heads; o: [H·d_head, D]. */
  attn: { qkv: Linear; o: Linear };
  /** in: [D, M]; gate (gated MLPs): [D, M]; out: [M, D] (row n is neuron n's output direction). */
  mlp: { in: Linear; gate?: Linear; out: Linear };
}

export interface Weights {
  /**
   * [V, D]: the token embedding. Vision models: the patch projection [C·p·p, D] (a patch's pixels in (channel, y, x)
   * order · embed + embedBias), the Conv2d of kernel = stride = p written as a linear map.
   */
  embed: tf.Tensor2D;
  /** Vision models: the patch projection's bias [D]. */
  embedBias?: tf.Tensor1D;
  /** Vision models: the [CLS] token's embedding [1, D] (token 0). */
  cls?: tf.Tensor2D;
  /** [n_ctx, D], learned positions only. */
  pos?: tf.Tensor2D;
  blocks: BlockWeights[];
  lnFinal: Norm;
  /** [V, D]; absent when tied to `embed`. Vision models: the classifier [labels, D]. */
  unembed?: tf.Tensor2D;
  /** Vision models: the classifier's bias [labels]. */
  unembedBias?: tf.Tensor1D;
}

/** The unembedding matrix [V, D]. */
export function unembedMatrix(w: Weights): tf.Tensor2D {
  return w.unembed ?? w.embed;
}

/** Every tensor of a weights record (each once). */
export function weightTensors(w: Weights): tf.Tensor[] {
  const out: tf.Tensor[] = [w.embed];
  for (const t of [w.embedBias, w.cls, w.pos]) if (t) out.push(t);
  const lin = (p: Linear | Norm | undefined) => {
    if (!p) return;
    out.push(p.weight);
    if (p.bias) out.push(p.bias);
  };
  for (const b of w.blocks) [b.ln1, b.ln2, b.attn.qkv, b.attn.o, b.mlp.in, b.mlp.gate, b.mlp.out].forEach(lin);
  lin(w.lnFinal);
  if (w.unembed) out.push(w.unembed);
  if (w.unembedBias) out.push(w.unembedBias);
  return out;
}

export function disposeWeights(w: Weights): void {
  for (const t of weightTensors(w)) t.dispose();
}

export function paramCount(w: Weights): number {
  return weightTensors(w).reduce((s, t) => s + t.size, 0);
}

export interface LoadProgress {
  loadedBytes: number;
  totalBytes: number;
}

const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape, 'float32');
const linearOf = (p: LinearArrays): Linear => ({ weight: tensorOf(p.weight) as tf.Tensor2D, bias: p.bias && (tensorOf(p.bias) as tf.Tensor1D) });
const normOf = (p: NormArrays): Norm => ({ weight: tensorOf(p.weight) as tf.Tensor1D, bias: p.bias && (tensorOf(p.bias) as tf.Tensor1D) });

/**
 * Reads a checkpoint block by block through the architecture's conversion and uploads each tensor to the active
 * tfjs backend. Every tensor's presence and shape is checked against the config before anything is read or
 * allocated; on any error, tensors created so far are disposed.
 */
export async function loadWeights(
  cfg: ModelConfig,
  arch: ArchitectureSpec,
  files: WeightFile[],
  onProgress?: (p: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<Weights> {
  const table = await tensorTable(files, arch.prefixes, arch.isBuffer);
  // Every block has at least five tensors: refuse a config that claims more layers than the files could hold
  // before building a per-layer list of that length.
  if (cfg.nLayer * 5 > table.size) fail(`config.json: ${cfg.nLayer} layers cannot fit in a checkpoint of ${table.size} tensors`);
  const wanted = arch.tensors(cfg, table.has);
  for (const [k, shape] of wanted) {
    const e = table.entry(k);
    if (!e) fail(`model.safetensors: tensor "${k}" is missing (expected shape [${shape.join(', ')}] for this config.json)`);
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      fail(`${table.fileOf(k)}: tensor "${e.name}" has shape [${e.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
    }
  }
  const shapes = new Map(wanted);
  const total = wanted.reduce((s, [k]) => s + table.entry(k)!.end - table.entry(k)!.begin, 0);
  let loaded = 0;
  const get = async (k: string): Promise<Arr> => {
    if (signal?.aborted) fail('loading was cancelled');
    const shape = shapes.get(k);
    if (!shape) fail(`internal: the ${arch.modelType} conversion read "${k}", which it did not declare`);
    const data = await table.read(k);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) fail(`${table.fileOf(k)}: tensor "${table.entry(k)!.name}" holds a non-finite value (${data[i]}) at flat index ${i}`);
    }
    loaded += table.entry(k)!.end - table.entry(k)!.begin;
    onProgress?.({ loadedBytes: loaded, totalBytes: total });
    return { data, shape };
  };
  const made: tf.Tensor[] = [];
  const track = <T extends { weight: tf.Tensor; bias?: tf.Tensor }>(p: T): T => {
    made.push(p.weight, ...(p.bias ? [p.bias] : []));
    return p;
  };
  try {
    const blocks: BlockWeights[] = [];
    for (let l = 0; l < cfg.nLayer; l++) {
      const a = await arch.block(cfg, l, get);
      blocks.push({
        ln1: track(normOf(a.ln1)),
        ln2: track(normOf(a.ln2)),
        attn: { qkv: track(linearOf(a.qkv)), o: track(linearOf(a.o)) },
        mlp: { in: track(linearOf(a.in)), gate: a.gate && track(linearOf(a.gate)), out: track(linearOf(a.out)) },
      });
    }
    const g = await arch.globals(cfg, get, table.has);
    const one = (a: Arr) => {
      const t = tensorOf(a) as tf.Tensor2D;
      made.push(t);
      return t;
    };
    const vector = (a: Arr | undefined) => a && (one(a) as tf.Tensor as tf.Tensor1D);
    return {
      embed: one(g.embed),
      embedBias: vector(g.embedBias),
      cls: g.cls && one(g.cls),
      pos: g.pos && one(g.pos),
      blocks,
      lnFinal: track(normOf(g.lnFinal)),
      unembed: g.unembed && one(g.unembed),
      unembedBias: vector(g.unembedBias),
    };
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
}
