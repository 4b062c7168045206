/**
 * ViT (`model_type: "vit"`, ViTForImageClassification; DeiT checkpoints without distillation share the layout):
 * a Conv2d patch embedding (kernel = stride = patch), a [CLS] token before the patches, learned positions, pre-LN
 * blocks with unmasked (non-causal) attention, q/k/v with biases, exact-erf GELU by default, a final LayerNorm and
 * a classifier on the [CLS] token. Token 0 is [CLS]; patch (row r, column c) is token 1 + r·(W/p) + c.
 */
import { fail } from '../errors';
import type { ImageProcessorConfig, ModelConfig, VisionConfig } from '../types';
import { activationField } from './config-fields';
import { linear, linearFromRows, vectorFrom } from './convert';
import type { ArchitectureSpec, Arr, ConfigFields } from './types';

/** ViTImageProcessor's defaults (ImageNet-standard mean and std 0.5, rescale 1/255), resizing to the model's size. */
export function defaultImageProcessor(imageSize: [number, number]): ImageProcessorConfig {
  return { processor: 'ViTImageProcessor', resize: { height: imageSize[0], width: imageSize[1], resample: 2 }, centerCrop: null, rescale: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } };
}

/** A ViT config from its sizes (training and tests build models from it); labels default to "0".."n−1". */
export function vitConfig(o: {
  nLayer: number;
  nHead: number;
  dModel: number;
  dMlp: number;
  imageSize: number | [number, number];
  patchSize: number;
  channels?: number;
  labels: string[] | number;
  layerNormEps?: number;
  activation?: ModelConfig['activation'];
  qkvBias?: boolean;
  preprocess?: ImageProcessorConfig;
}): ModelConfig {
  const imageSize: [number, number] = typeof o.imageSize === 'number' ? [o.imageSize, o.imageSize] : o.imageSize;
  const p = o.patchSize;
  imageSize.forEach((s, i) => {
    if (s % p !== 0) fail(`config.json: "image_size" ${s} (${i === 0 ? 'height' : 'width'}) is not divisible by "patch_size" ${p}`);
  });
  if (o.dModel % o.nHead !== 0) fail(`config.json: "hidden_size" ${o.dModel} is not divisible by "num_attention_heads" ${o.nHead}`);
  const grid: [number, number] = [imageSize[0] / p, imageSize[1] / p];
  const labels = typeof o.labels === 'number' ? Array.from({ length: o.labels }, (_, i) => String(i)) : o.labels;
  const channels = o.channels ?? 3;
  const preprocess = o.preprocess ?? defaultImageProcessor(imageSize);
  const vision: VisionConfig = { imageSize, patchSize: p, channels, grid, labels, preprocess };
  return {
    modelType: 'vit',
    nLayer: o.nLayer,
    nHead: o.nHead,
    nKvHead: o.nHead,
    dModel: o.dModel,
    dHead: o.dModel / o.nHead,
    dMlp: o.dMlp,
    vocabSize: labels.length,
    nCtx: 1 + grid[0] * grid[1],
    norm: 'layernorm',
    layerNormEps: o.layerNormEps ?? 1e-12,
    activation: o.activation ?? 'gelu',
    gatedMlp: false,
    positions: 'learned',
    rotaryDim: 0,
    rotaryBase: 10000,
    parallelResidual: false,
    attnScale: 1 / Math.sqrt(o.dModel / o.nHead),
    attnWindows: Array.from({ length: o.nLayer }, () => null),
    tiedEmbeddings: false,
    bias: { qkv: o.qkvBias ?? true, o: true, mlp: true },
    causal: false,
    vision,
  };
}

/** `image_size` (or `patch_size`) as [height, width]: one integer or a pair. */
function sizeField(c: ConfigFields, key: string, fallback: number): [number, number] {
  const v = c.raw[key] ?? fallback;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
  return fail(`config.json: "${key}" must be a positive integer or a [height, width] pair (got ${JSON.stringify(v)})`);
}

/** Class names from `id2label` (string keys 0..n−1), else `num_labels` names LABEL_i as Hugging Face gives them. */
function labelsField(c: ConfigFields): string[] {
  const raw = c.raw.id2label;
  if (raw === undefined || raw === null) return Array.from({ length: c.posInt('num_labels', 2) }, (_, i) => `LABEL_${i}`);
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('config.json: "id2label" must be an object from class index to name');
  const entries = Object.entries(raw as Record<string, unknown>);
  const labels: string[] = new Array(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!/^\d+$/.test(k) || i >= entries.length) fail(`config.json: "id2label" has the key "${k}"; keys must be the class indices 0..${entries.length - 1}`);
    labels[i] = String(v);
  }
  if (entries.length === 0) fail('config.json: "id2label" is empty: the classifier needs at least one class');
  if (typeof c.raw.num_labels === 'number' && c.raw.num_labels !== entries.length) fail(`config.json: "num_labels" ${c.raw.num_labels} differs from the ${entries.length} classes of "id2label"`);
  return labels;
}

function parseConfig(c: ConfigFields): ModelConfig {
  const [ph, pw] = sizeField(c, 'patch_size', 16);
  if (ph !== pw) fail(`config.json: "patch_size" [${ph}, ${pw}] is not square; only square patches are implemented`);
  return vitConfig({
    nLayer: c.layers('num_hidden_layers'),
    nHead: c.posInt('num_attention_heads'),
    dModel: c.posInt('hidden_size'),
    dMlp: c.posInt('intermediate_size', 3072),
    imageSize: sizeField(c, 'image_size', 224),
    patchSize: ph,
    channels: c.posInt('num_channels', 3),
    labels: labelsField(c),
    layerNormEps: c.positive('layer_norm_eps', 1e-12),
    activation: activationField(c, 'hidden_act', 'gelu'),
    qkvBias: c.bool('qkv_bias', true),
  });
}

/** Every ViTForImageClassification parameter this config needs, without the `vit.` prefix, with its stored shape. */
export function vitShapes(cfg: ModelConfig): Array<[string, number[]]> {
  const { dModel: D, dMlp: M, vocabSize: V, nCtx } = cfg;
  const { channels: C, patchSize: p } = cfg.vision!;
  const out: Array<[string, number[]]> = [
    ['embeddings.cls_token', [1, 1, D]],
    ['embeddings.position_embeddings', [1, nCtx, D]],
    ['embeddings.patch_embeddings.projection.weight', [D, C, p, p]],
    ['embeddings.patch_embeddings.projection.bias', [D]],
  ];
  for (let l = 0; l < cfg.nLayer; l++) {
    const a = `encoder.layer.${l}.`;
    out.push([`${a}layernorm_before.weight`, [D]], [`${a}layernorm_before.bias`, [D]]);
    for (const x of ['query', 'key', 'value']) {
      out.push([`${a}attention.attention.${x}.weight`, [D, D]]);
      if (cfg.bias.qkv) out.push([`${a}attention.attention.${x}.bias`, [D]]);
    }
    out.push(
      [`${a}attention.output.dense.weight`, [D, D]], [`${a}attention.output.dense.bias`, [D]],
      [`${a}layernorm_after.weight`, [D]], [`${a}layernorm_after.bias`, [D]],
      [`${a}intermediate.dense.weight`, [M, D]], [`${a}intermediate.dense.bias`, [M]],
      [`${a}output.dense.weight`, [D, M]], [`${a}output.dense.bias`, [D]],
    );
  }
  out.push(['layernorm.weight', [D]], ['layernorm.bias', [D]], ['classifier.weight', [V, D]], ['classifier.bias', [V]]);
  return out;
}

const flat = (a: Arr, shape: number[]): Arr => ({ data: a.data, shape });

export const vit: ArchitectureSpec = {
  modelType: 'vit',
  prefixes: ['vit.'],
  // ViTModel's pooler (not used by the classifier, which reads the final-normed [CLS] token).
  isBuffer: (k) => /^pooler\.dense\.(weight|bias)$/.test(k),
  parseConfig,
  tensors: (cfg) => vitShapes(cfg),
  async globals(cfg, get) {
    const { dModel: D, nCtx } = cfg;
    const proj = await get('embeddings.patch_embeddings.projection.weight');
    return {
      // Conv2d weight [D, C, p, p] = nn.Linear rows [D, C·p·p] over a patch unfolded in (channel, y, x) order.
      embed: linearFromRows([flat(proj, [D, proj.data.length / D])]),
      embedBias: await get('embeddings.patch_embeddings.projection.bias'),
      cls: flat(await get('embeddings.cls_token'), [1, D]),
      pos: flat(await get('embeddings.position_embeddings'), [nCtx, D]),
      lnFinal: { weight: await get('layernorm.weight'), bias: await get('layernorm.bias') },
      unembed: await get('classifier.weight'),
      unembedBias: await get('classifier.bias'),
    };
  },
  async block(cfg, l, get) {
    const a = `encoder.layer.${l}.`;
    const att = (x: string, part: string) => get(`${a}attention.attention.${x}.${part}`);
    const lin = async (k: string) => linear(await get(`${a}${k}.weight`), await get(`${a}${k}.bias`));
    const norm = async (k: string) => ({ weight: await get(`${a}${k}.weight`), bias: await get(`${a}${k}.bias`) });
    const names = ['query', 'key', 'value'];
    const weights: Arr[] = [];
    for (const x of names) weights.push(await att(x, 'weight'));
    const biases: Arr[] = [];
    if (cfg.bias.qkv) for (const x of names) biases.push(await att(x, 'bias'));
    return {
      ln1: await norm('layernorm_before'),
      ln2: await norm('layernorm_after'),
      qkv: { weight: linearFromRows(weights), bias: cfg.bias.qkv ? vectorFrom(biases) : undefined },
      o: await lin('attention.output.dense'),
      in: await lin('intermediate.dense'),
      out: await lin('output.dense'),
    };
  },
  describe: (cfg) => {
    const v = cfg.vision!;
    return [
      `${v.imageSize[1]}×${v.imageSize[0]} images, ${v.patchSize}×${v.patchSize} patches (${v.grid[0] * v.grid[1]} + [CLS] tokens)`,
      'bidirectional attention',
      cfg.activation,
      `${cfg.vocabSize} classes`,
    ];
  },
};
