/**
 * The bundled digit classifier's architecture in the Hugging Face ViT layout (ViTForImageClassification): its
 * config.json, every checkpoint tensor with its shape, and the initialisation training starts from.
 */
import * as tf from '@tensorflow/tfjs';
import { DIGIT_LABELS, DIGIT_SIZE } from './vision-data';

export interface VitSize {
  hidden: number;
  layers: number;
  heads: number;
  mlp: number;
  patch: number;
}

/** config.json of a ViT over 28×28 one-channel digits with the ten labels "0"…"9". */
export function digitsVitConfig(s: VitSize): Record<string, unknown> {
  if (DIGIT_SIZE % s.patch !== 0) throw new Error(`patch size ${s.patch} does not divide the image size ${DIGIT_SIZE}`);
  if (s.hidden % s.heads !== 0) throw new Error(`hidden size ${s.hidden} is not a multiple of the ${s.heads} heads`);
  return {
    architectures: ['ViTForImageClassification'],
    model_type: 'vit',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.mlp,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    image_size: DIGIT_SIZE,
    patch_size: s.patch,
    num_channels: 1,
    qkv_bias: true,
    encoder_stride: s.patch,
    id2label: Object.fromEntries(DIGIT_LABELS.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(DIGIT_LABELS.map((l, i) => [l, i])),
    torch_dtype: 'float32',
  };
}

/** Every tensor of the checkpoint, in the Hugging Face names and shapes (nn.Linear weights [out, in]). */
export function vitTensorShapes(s: VitSize, labels = DIGIT_LABELS.length, channels = 1): Array<[string, number[]]> {
  const D = s.hidden;
  const patches = (DIGIT_SIZE / s.patch) ** 2;
  const out: Array<[string, number[]]> = [
    ['vit.embeddings.cls_token', [1, 1, D]],
    ['vit.embeddings.position_embeddings', [1, 1 + patches, D]],
    ['vit.embeddings.patch_embeddings.projection.weight', [D, channels, s.patch, s.patch]],
    ['vit.embeddings.patch_embeddings.projection.bias', [D]],
  ];
  for (let l = 0; l < s.layers; l++) {
    const p = `vit.encoder.layer.${l}.`;
    out.push([`${p}layernorm_before.weight`, [D]], [`${p}layernorm_before.bias`, [D]]);
    for (const n of ['query', 'key', 'value']) out.push([`${p}attention.attention.${n}.weight`, [D, D]], [`${p}attention.attention.${n}.bias`, [D]]);
    out.push([`${p}attention.output.dense.weight`, [D, D]], [`${p}attention.output.dense.bias`, [D]]);
    out.push([`${p}layernorm_after.weight`, [D]], [`${p}layernorm_after.bias`, [D]]);
    out.push([`${p}intermediate.dense.weight`, [s.mlp, D]], [`${p}intermediate.dense.bias`, [s.mlp]]);
    out.push([`${p}output.dense.weight`, [D, s.mlp]], [`${p}output.dense.bias`, [D]]);
  }
  out.push(['vit.layernorm.weight', [D]], ['vit.layernorm.bias', [D]], ['classifier.weight', [labels, D]], ['classifier.bias', [labels]]);
  return out;
}

const isNorm = (k: string) => /layernorm(_before|_after)?\.weight$/.test(k);

/** Weight decay applies to the linear and patch-projection matrices only (not norms, biases, [CLS], positions). */
export const vitDecays = (k: string): boolean => k.endsWith('.weight') && !/layernorm/.test(k);

/**
 * Hugging Face's ViT initialisation, with a normal in place of its truncated normal: matrices (the classifier too),
 * [CLS] and positions N(0, 0.02); biases 0; layer-norm gains 1. Deterministic for a seed.
 */
export function initVitParams(shapes: Array<[string, number[]]>, seed: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  let s = seed;
  for (const [k, shape] of shapes) {
    if (isNorm(k)) out.set(k, tf.ones(shape));
    else if (k.endsWith('.bias')) out.set(k, tf.zeros(shape));
    else out.set(k, tf.randomNormal(shape, 0, 0.02, 'float32', s++));
  }
  return out;
}
