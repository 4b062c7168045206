/**
 * GPT-Neo (`model_type: "gpt_neo"`, the TinyStories models): nn.Linear weights [out, in], separate q/k/v without
 * bias, attention scores not scaled by 1/sqrt(d_head), layers alternating global and local attention
 * (`attention_types` expanded to `attention_layers`, window `window_size`), learned positions, LayerNorm, tied
 * unembedding.
 */
import { fail } from '../errors';
import type { ModelConfig } from '../types';
import { activationField } from './config-fields';
import { linear, linearFromRows } from './convert';
import { gpt2 } from './gpt2';
import type { ArchitectureSpec, ConfigFields } from './types';

/** `attention_layers`, or `attention_types` ([[["global", "local"], n], ...]) expanded. */
function attentionLayers(c: ConfigFields, nLayer: number): string[] {
  let layers: unknown = c.raw.attention_layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    const types = c.raw.attention_types;
    if (!Array.isArray(types)) fail('config.json: "attention_types" (or "attention_layers") is missing');
    layers = [];
    for (const item of types) {
      if (!Array.isArray(item) || item.length !== 2 || !Array.isArray(item[0]) || !Number.isInteger(item[1])) fail(`config.json: "attention_types" entry ${JSON.stringify(item)} is not [[kinds...], count]`);
      for (let i = 0; i < item[1]; i++) (layers as unknown[]).push(...item[0]);
    }
  }
  const list = layers as unknown[];
  if (list.length !== nLayer) fail(`config.json: "attention_layers" names ${list.length} layers but "num_layers" is ${nLayer}`);
  for (const k of list) if (k !== 'global' && k !== 'local') fail(`config.json: attention layer kind "${String(k)}" is not "global" or "local"`);
  return list as string[];
}

function parseConfig(c: ConfigFields): ModelConfig {
  const nLayer = c.layers('num_layers');
  const nHead = c.posInt('num_heads');
  const dModel = c.posInt('hidden_size');
  if (dModel % nHead !== 0) fail(`config.json: "hidden_size" ${dModel} is not divisible by "num_heads" ${nHead}`);
  const kinds = attentionLayers(c, nLayer);
  const window = kinds.includes('local') ? c.posInt('window_size', 256) : 0;
  return {
    modelType: 'gpt_neo',
    nLayer,
    nHead,
    nKvHead: nHead,
    dModel,
    dHead: dModel / nHead,
    dMlp: c.optInt('intermediate_size', 4 * dModel),
    vocabSize: c.posInt('vocab_size'),
    nCtx: c.posInt('max_position_embeddings'),
    norm: 'layernorm',
    layerNormEps: c.positive('layer_norm_epsilon', 1e-5),
    activation: activationField(c, 'activation_function', 'gelu_new'),
    gatedMlp: false,
    positions: 'learned',
    rotaryDim: 0,
    rotaryBase: 10000,
    parallelResidual: false,
    attnScale: 1,
    attnWindows: kinds.map((k) => (k === 'local' ? window : null)),
    tiedEmbeddings: true,
    bias: { qkv: false, o: true, mlp: true },
  };
}

export const gptNeo: ArchitectureSpec = {
  modelType: 'gpt_neo',
  prefixes: ['transformer.'],
  isBuffer: (k) => /^h\.\d+\.attn\.attention\.(bias|masked_bias)$/.test(k),
  parseConfig,
  tensors(cfg, has) {
    const { dModel: D, dMlp: M, vocabSize: V, nCtx } = cfg;
    const out: Array<[string, number[]]> = [['wte.weight', [V, D]], ['wpe.weight', [nCtx, D]]];
    for (let l = 0; l < cfg.nLayer; l++) {
      const p = `h.${l}.`;
      out.push(
        [`${p}ln_1.weight`, [D]], [`${p}ln_1.bias`, [D]],
        [`${p}attn.attention.q_proj.weight`, [D, D]], [`${p}attn.attention.k_proj.weight`, [D, D]], [`${p}attn.attention.v_proj.weight`, [D, D]],
        [`${p}attn.attention.out_proj.weight`, [D, D]], [`${p}attn.attention.out_proj.bias`, [D]],
        [`${p}ln_2.weight`, [D]], [`${p}ln_2.bias`, [D]],
        [`${p}mlp.c_fc.weight`, [M, D]], [`${p}mlp.c_fc.bias`, [M]],
        [`${p}mlp.c_proj.weight`, [D, M]], [`${p}mlp.c_proj.bias`, [D]],
      );
    }
    out.push(['ln_f.weight', [D]], ['ln_f.bias', [D]]);
    if (has('lm_head.weight')) out.push(['lm_head.weight', [V, D]]);
    return out;
  },
  // The embeddings, final norm and (tied unless present) unembedding are stored as GPT-2 stores them.
  globals: gpt2.globals,
  async block(_cfg, l, get) {
    const p = `h.${l}.`;
    const a = `${p}attn.attention.`;
    const norm = async (k: string) => ({ weight: await get(`${p}${k}.weight`), bias: await get(`${p}${k}.bias`) });
    return {
      ln1: await norm('ln_1'),
      ln2: await norm('ln_2'),
      qkv: { weight: linearFromRows([await get(`${a}q_proj.weight`), await get(`${a}k_proj.weight`), await get(`${a}v_proj.weight`)]) },
      o: linear(await get(`${a}out_proj.weight`), await get(`${a}out_proj.bias`)),
      in: linear(await get(`${p}mlp.c_fc.weight`), await get(`${p}mlp.c_fc.bias`)),
      out: linear(await get(`${p}mlp.c_proj.weight`), await get(`${p}mlp.c_proj.bias`)),
    };
  },
  describe: (cfg) => {
    const local = cfg.attnWindows.filter((w) => w !== null);
    return [cfg.activation, 'unscaled attention', local.length ? `local attention (window ${local[0]}) in ${local.length} of ${cfg.nLayer} layers` : 'global attention'];
  },
};
