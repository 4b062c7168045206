/**
 * GPT-2 (`model_type: "gpt2"`, GPT2LMHeadModel): Conv1D weights already [in, out], fused c_attn with columns
 * q | k | v, learned positions, LayerNorm, tied unembedding unless `lm_head.weight` is present. The canonical
 * layout is GPT-2's own, so conversion only renames.
 */
import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors';
import type { ModelConfig } from '../types';
import type { BlockWeights, Weights } from '../weights';
import { activationField, refuseUnless } from './config-fields';
import type { ArchitectureSpec, ConfigFields } from './types';

/** A GPT-2 config with the defaults filled in (training, benchmarks and tests build models from it). */
export function gpt2Config(o: Pick<ModelConfig, 'nLayer' | 'nHead' | 'dModel' | 'vocabSize' | 'nCtx'> & Partial<ModelConfig>): ModelConfig {
  return {
    modelType: 'gpt2',
    dMlp: 4 * o.dModel,
    layerNormEps: 1e-5,
    activation: 'gelu_new',
    ...o,
    nKvHead: o.nHead,
    dHead: o.dModel / o.nHead,
    norm: 'layernorm',
    gatedMlp: false,
    positions: 'learned',
    rotaryDim: 0,
    rotaryBase: 10000,
    parallelResidual: false,
    attnScale: o.attnScale ?? 1 / Math.sqrt(o.dModel / o.nHead),
    attnWindows: Array.from({ length: o.nLayer }, () => null),
    tiedEmbeddings: o.tiedEmbeddings ?? true,
    bias: { qkv: true, o: true, mlp: true },
  };
}

function parseConfig(c: ConfigFields): ModelConfig {
  const nLayer = c.layers('n_layer');
  const nHead = c.posInt('n_head');
  const dModel = c.posInt('n_embd');
  if (dModel % nHead !== 0) fail(`config.json: n_embd ${dModel} is not divisible by n_head ${nHead}`);
  refuseUnless(c, 'scale_attn_by_inverse_layer_idx', (v) => v === false, 'scaling attention by the inverse layer index is not implemented');
  refuseUnless(c, 'add_cross_attention', (v) => v === false, 'cross-attention is not implemented');
  const nCtx = c.posInt('n_positions', typeof c.raw.n_ctx === 'number' ? c.raw.n_ctx : undefined);
  const scaled = c.bool('scale_attn_weights', true);
  return gpt2Config({
    nLayer,
    nHead,
    dModel,
    dMlp: c.optInt('n_inner', 4 * dModel),
    vocabSize: c.posInt('vocab_size'),
    nCtx,
    layerNormEps: c.positive('layer_norm_epsilon', 1e-5),
    activation: activationField(c, 'activation_function', 'gelu_new'),
    attnScale: scaled ? 1 / Math.sqrt(dModel / nHead) : 1,
    tiedEmbeddings: true,
  });
}

/** Every GPT-2 parameter under its Hugging Face name (without `transformer.`) and shape. */
export function gpt2Shapes(cfg: ModelConfig): Array<[string, number[]]> {
  const { dModel: D, dMlp: M, vocabSize: V, nCtx } = cfg;
  const out: Array<[string, number[]]> = [['wte.weight', [V, D]], ['wpe.weight', [nCtx, D]]];
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

/** GPT-2 weights from tensors under their Hugging Face names (training builds its variables this way). */
export function gpt2FromFlat(cfg: ModelConfig, flat: Map<string, tf.Tensor>): Weights {
  const g = <T extends tf.Tensor>(k: string) => flat.get(k) as T;
  const lin = (p: string) => ({ weight: g<tf.Tensor2D>(`${p}.weight`), bias: g<tf.Tensor1D>(`${p}.bias`) });
  const norm = (p: string) => ({ weight: g<tf.Tensor1D>(`${p}.weight`), bias: g<tf.Tensor1D>(`${p}.bias`) });
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < cfg.nLayer; i++) {
    const p = `h.${i}.`;
    blocks.push({ ln1: norm(`${p}ln_1`), ln2: norm(`${p}ln_2`), attn: { qkv: lin(`${p}attn.c_attn`), o: lin(`${p}attn.c_proj`) }, mlp: { in: lin(`${p}mlp.c_fc`), out: lin(`${p}mlp.c_proj`) } });
  }
  const unembed = flat.get('lm_head.weight') as tf.Tensor2D | undefined;
  return { embed: g<tf.Tensor2D>('wte.weight'), pos: g<tf.Tensor2D>('wpe.weight'), blocks, lnFinal: norm('ln_f'), unembed };
}

/** The inverse of gpt2FromFlat, with the `transformer.` prefix: the layout written to model.safetensors. */
export function gpt2ToFlat(cfg: ModelConfig, w: Weights): Array<[string, tf.Tensor]> {
  if (cfg.modelType !== 'gpt2') fail(`only GPT-2 weights can be written in the GPT-2 layout (this model is ${cfg.modelType})`);
  const out: Array<[string, tf.Tensor]> = [['transformer.wte.weight', w.embed], ['transformer.wpe.weight', w.pos!]];
  const put = (k: string, p: { weight: tf.Tensor; bias?: tf.Tensor }) => {
    out.push([`${k}.weight`, p.weight]);
    if (p.bias) out.push([`${k}.bias`, p.bias]);
  };
  w.blocks.forEach((b, i) => {
    const p = `transformer.h.${i}.`;
    put(`${p}ln_1`, b.ln1);
    put(`${p}attn.c_attn`, b.attn.qkv);
    put(`${p}attn.c_proj`, b.attn.o);
    put(`${p}ln_2`, b.ln2);
    put(`${p}mlp.c_fc`, b.mlp.in);
    put(`${p}mlp.c_proj`, b.mlp.out);
  });
  put('transformer.ln_f', w.lnFinal);
  if (w.unembed) out.push(['lm_head.weight', w.unembed]);
  return out;
}

/** The inverse of parseConfig: a Hugging Face GPT-2 config.json object. */
export function gpt2HfConfig(cfg: ModelConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    activation_function: cfg.activation,
    layer_norm_epsilon: cfg.layerNormEps,
    n_layer: cfg.nLayer,
    n_head: cfg.nHead,
    n_embd: cfg.dModel,
    n_inner: cfg.dMlp,
    vocab_size: cfg.vocabSize,
    n_positions: cfg.nCtx,
    n_ctx: cfg.nCtx,
    torch_dtype: 'float32',
    ...extra,
  };
}

export const gpt2: ArchitectureSpec = {
  modelType: 'gpt2',
  prefixes: ['transformer.'],
  isBuffer: (k) => /^h\.\d+\.attn\.(bias|masked_bias)$/.test(k),
  parseConfig,
  tensors(cfg, has) {
    const t = gpt2Shapes(cfg);
    if (has('lm_head.weight')) t.push(['lm_head.weight', [cfg.vocabSize, cfg.dModel]]);
    return t;
  },
  async globals(cfg, get, has) {
    return {
      embed: await get('wte.weight'),
      pos: await get('wpe.weight'),
      lnFinal: { weight: await get('ln_f.weight'), bias: await get('ln_f.bias') },
      unembed: has('lm_head.weight') ? await get('lm_head.weight') : undefined,
    };
  },
  async block(_cfg, l, get) {
    const p = `h.${l}.`;
    const lin = async (k: string) => ({ weight: await get(`${p}${k}.weight`), bias: await get(`${p}${k}.bias`) });
    return { ln1: await lin('ln_1'), ln2: await lin('ln_2'), qkv: await lin('attn.c_attn'), o: await lin('attn.c_proj'), in: await lin('mlp.c_fc'), out: await lin('mlp.c_proj') };
  },
  describe: (cfg) => [cfg.activation, cfg.attnScale === 1 ? 'unscaled attention' : '', cfg.tiedEmbeddings ? 'tied unembedding' : 'untied unembedding'].filter(Boolean),
};
