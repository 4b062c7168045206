import * as tf from '@tensorflow/tfjs';
import type { ByteSource } from './bytes';
import { fail } from './errors';
import { parseSafetensorsHeader, readTensor, type TensorEntry } from './safetensors';
import type { ModelConfig } from './types';

export interface Affine {
  weight: tf.Tensor;
  bias: tf.Tensor1D;
}

export interface BlockWeights {
  ln_1: { weight: tf.Tensor1D; bias: tf.Tensor1D };
  attn: { c_attn: Affine; c_proj: Affine };
  ln_2: { weight: tf.Tensor1D; bias: tf.Tensor1D };
  mlp: { c_fc: Affine; c_proj: Affine };
}

/** GPT-2 weights under their Hugging Face names; Conv1D weights are [in, out]. */
export interface Weights {
  wte: tf.Tensor2D;
  wpe: tf.Tensor2D;
  blocks: BlockWeights[];
  ln_f: { weight: tf.Tensor1D; bias: tf.Tensor1D };
  /** [V, D]; absent when the unembedding is tied to wte. */
  lm_head?: tf.Tensor2D;
}

/** Every parameter's Hugging Face key (without `transformer.`) and expected shape. */
export function expectedShapes(cfg: ModelConfig): Array<[string, number[]]> {
  const { dModel: D, dMlp: M, vocabSize: V, nCtx } = cfg;
  const out: Array<[string, number[]]> = [
    ['wte.weight', [V, D]],
    ['wpe.weight', [nCtx, D]],
  ];
  for (let i = 0; i < cfg.nLayer; i++) {
    const p = `h.${i}.`;
    out.push(
      [`${p}ln_1.weight`, [D]], [`${p}ln_1.bias`, [D]],
      [`${p}attn.c_attn.weight`, [D, 3 * D]], [`${p}attn.c_attn.bias`, [3 * D]],
      [`${p}attn.c_proj.weight`, [D, D]], [`${p}attn.c_proj.bias`, [D]],
      [`${p}ln_2.weight`, [D]], [`${p}ln_2.bias`, [D]],
      [`${p}mlp.c_fc.weight`, [D, M]], [`${p}mlp.c_fc.bias`, [M]],
      [`${p}mlp.c_proj.weight`, [M, D]], [`${p}mlp.c_proj.bias`, [D]],
    );
  }
  out.push(['ln_f.weight', [D]], ['ln_f.bias', [D]]);
  return out;
}

/** Strips `transformer.`; returns null for buffers that are not parameters. */
export function normaliseKey(key: string): string | null {
  const k = key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
  if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) return null;
  return k;
}

/** Builds the nested record from a flat map of HF keys (without prefix) to tensors. */
export function assembleWeights(cfg: ModelConfig, flat: Map<string, tf.Tensor>): Weights {
  const g = <T extends tf.Tensor>(k: string) => flat.get(k) as T;
  const aff = (p: string): Affine => ({ weight: g(`${p}.weight`), bias: g(`${p}.bias`) });
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < cfg.nLayer; i++) {
    const p = `h.${i}.`;
    blocks.push({
      ln_1: { weight: g(`${p}ln_1.weight`), bias: g(`${p}ln_1.bias`) },
      attn: { c_attn: aff(`${p}attn.c_attn`), c_proj: aff(`${p}attn.c_proj`) },
      ln_2: { weight: g(`${p}ln_2.weight`), bias: g(`${p}ln_2.bias`) },
      mlp: { c_fc: aff(`${p}mlp.c_fc`), c_proj: aff(`${p}mlp.c_proj`) },
    });
  }
  return { wte: g('wte.weight'), wpe: g('wpe.weight'), blocks, ln_f: { weight: g('ln_f.weight'), bias: g('ln_f.bias') }, lm_head: flat.get('lm_head.weight') as tf.Tensor2D | undefined };
}

/** Flat list of [HF key with `transformer.` prefix, tensor], the layout written to model.safetensors. */
export function flattenWeights(w: Weights): Array<[string, tf.Tensor]> {
  const out: Array<[string, tf.Tensor]> = [['transformer.wte.weight', w.wte], ['transformer.wpe.weight', w.wpe]];
  w.blocks.forEach((b, i) => {
    const p = `transformer.h.${i}.`;
    out.push(
      [`${p}ln_1.weight`, b.ln_1.weight], [`${p}ln_1.bias`, b.ln_1.bias],
      [`${p}attn.c_attn.weight`, b.attn.c_attn.weight], [`${p}attn.c_attn.bias`, b.attn.c_attn.bias],
      [`${p}attn.c_proj.weight`, b.attn.c_proj.weight], [`${p}attn.c_proj.bias`, b.attn.c_proj.bias],
      [`${p}ln_2.weight`, b.ln_2.weight], [`${p}ln_2.bias`, b.ln_2.bias],
      [`${p}mlp.c_fc.weight`, b.mlp.c_fc.weight], [`${p}mlp.c_fc.bias`, b.mlp.c_fc.bias],
      [`${p}mlp.c_proj.weight`, b.mlp.c_proj.weight], [`${p}mlp.c_proj.bias`, b.mlp.c_proj.bias],
    );
  });
  out.push(['transformer.ln_f.weight', w.ln_f.weight], ['transformer.ln_f.bias', w.ln_f.bias]);
  if (w.lm_head) out.push(['lm_head.weight', w.lm_head]);
  return out;
}

export function disposeWeights(w: Weights): void {
  for (const [, t] of flattenWeights(w)) t.dispose();
}

export interface LoadProgress {
  loadedBytes: number;
  totalBytes: number;
}

/**
 * Reads model.safetensors tensor by tensor, checks every tensor against the config and uploads it to the
 * active tfjs backend. On any error, tensors created so far are disposed.
 */
export async function loadWeights(
  cfg: ModelConfig,
  src: ByteSource,
  onProgress?: (p: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<Weights> {
  const header = await parseSafetensorsHeader(src);
  const byKey = new Map<string, TensorEntry>();
  for (const entry of header.tensors.values()) {
    const k = normaliseKey(entry.name);
    if (k !== null) byKey.set(k, entry);
  }
  const wanted = expectedShapes(cfg);
  const lmHead = byKey.get('lm_head.weight');
  if (lmHead) wanted.push(['lm_head.weight', [cfg.vocabSize, cfg.dModel]]);
  for (const [k, shape] of wanted) {
    const e = byKey.get(k);
    if (!e) fail(`model.safetensors: tensor "${k}" is missing (expected shape [${shape.join(', ')}] for this config.json)`);
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      fail(`model.safetensors: tensor "${e.name}" has shape [${e.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
    }
  }
  const total = wanted.reduce((s, [k]) => s + (byKey.get(k)!.end - byKey.get(k)!.begin), 0);
  const flat = new Map<string, tf.Tensor>();
  let loaded = 0;
  try {
    for (const [k, shape] of wanted) {
      if (signal?.aborted) fail('loading was cancelled');
      const e = byKey.get(k)!;
      const data = await readTensor(src, header, e);
      flat.set(k, tf.tensor(data, shape, 'float32'));
      loaded += e.end - e.begin;
      onProgress?.({ loadedBytes: loaded, totalBytes: total });
    }
  } catch (err) {
    for (const t of flat.values()) t.dispose();
    throw err;
  }
  return assembleWeights(cfg, flat);
}
