/**
 * GPT-NeoX (`model_type: "gpt_neox"`, Pythia): fused `query_key_value` whose output rows are laid out
 * [head, (q|k|v), d_head], rotary embeddings on the first `rotary_pct` of each head (rotate-half), parallel or
 * sequential residual (`use_parallel_residual`), LayerNorm, untied `embed_out` unless tied.
 */
import { fail } from '../errors';
import type { ModelConfig } from '../types';
import { activationField, ropeFields } from './config-fields';
import { linear, linearFromRows, vectorFrom } from './convert';
import type { ArchitectureSpec, ConfigFields } from './types';

function parseConfig(c: ConfigFields): ModelConfig {
  const nLayer = c.layers('num_hidden_layers');
  const nHead = c.posInt('num_attention_heads');
  const dModel = c.posInt('hidden_size');
  if (dModel % nHead !== 0) fail(`config.json: "hidden_size" ${dModel} is not divisible by "num_attention_heads" ${nHead}`);
  const dHead = dModel / nHead;
  const rope = ropeFields(c, ['rotary_emb_base', 'rope_theta'], 10000, ['rotary_pct', 'partial_rotary_factor'], 0.25);
  const rotaryDim = Math.floor(dHead * rope.fraction);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0) fail(`config.json: rotary_pct ${rope.fraction} of d_head ${dHead} gives ${rotaryDim} rotary features; an even number ≥ 2 is needed`);
  if (c.raw.attention_bias === false) fail('config.json: "attention_bias" false (GPT-NeoX attention without biases) is not implemented');
  return {
    modelType: 'gpt_neox',
    nLayer,
    nHead,
    nKvHead: nHead,
    dModel,
    dHead,
    dMlp: c.posInt('intermediate_size', 4 * dModel),
    vocabSize: c.posInt('vocab_size'),
    nCtx: c.posInt('max_position_embeddings'),
    norm: 'layernorm',
    layerNormEps: c.positive('layer_norm_eps', 1e-5),
    activation: activationField(c, 'hidden_act', 'gelu'),
    gatedMlp: false,
    positions: 'rotary',
    rotaryDim,
    rotaryBase: rope.base,
    parallelResidual: c.bool('use_parallel_residual', true),
    attnScale: 1 / Math.sqrt(dHead),
    attnWindows: Array.from({ length: nLayer }, () => null),
    tiedEmbeddings: c.bool('tie_word_embeddings', false),
    bias: { qkv: true, o: true, mlp: true },
  };
}

export const gptNeox: ArchitectureSpec = {
  modelType: 'gpt_neox',
  prefixes: ['gpt_neox.'],
  isBuffer: (k) => /^layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/.test(k) || k === 'rotary_emb.inv_freq',
  parseConfig,
  tensors(cfg) {
    const { dModel: D, dMlp: M, vocabSize: V } = cfg;
    const out: Array<[string, number[]]> = [['embed_in.weight', [V, D]]];
    for (let l = 0; l < cfg.nLayer; l++) {
      const p = `layers.${l}.`;
      out.push(
        [`${p}input_layernorm.weight`, [D]], [`${p}input_layernorm.bias`, [D]],
        [`${p}post_attention_layernorm.weight`, [D]], [`${p}post_attention_layernorm.bias`, [D]],
        [`${p}attention.query_key_value.weight`, [3 * D, D]], [`${p}attention.query_key_value.bias`, [3 * D]],
        [`${p}attention.dense.weight`, [D, D]], [`${p}attention.dense.bias`, [D]],
        [`${p}mlp.dense_h_to_4h.weight`, [M, D]], [`${p}mlp.dense_h_to_4h.bias`, [M]],
        [`${p}mlp.dense_4h_to_h.weight`, [D, M]], [`${p}mlp.dense_4h_to_h.bias`, [D]],
      );
    }
    out.push(['final_layer_norm.weight', [D]], ['final_layer_norm.bias', [D]]);
    if (!cfg.tiedEmbeddings) out.push(['embed_out.weight', [V, D]]);
    return out;
  },
  async globals(cfg, get) {
    return {
      embed: await get('embed_in.weight'),
      lnFinal: { weight: await get('final_layer_norm.weight'), bias: await get('final_layer_norm.bias') },
      unembed: cfg.tiedEmbeddings ? undefined : await get('embed_out.weight'),
    };
  },
  async block(cfg, l, get) {
    const p = `layers.${l}.`;
    const { nHead: H, dHead: dh } = cfg;
    // Canonical column c = part·H·dh + h·dh + e comes from fused row h·3·dh + part·dh + e.
    const order = (c: number) => {
      const part = Math.floor(c / (H * dh));
      const h = Math.floor((c % (H * dh)) / dh);
      return h * 3 * dh + part * dh + (c % dh);
    };
    const norm = async (k: string) => ({ weight: await get(`${p}${k}.weight`), bias: await get(`${p}${k}.bias`) });
    return {
      ln1: await norm('input_layernorm'),
      ln2: await norm('post_attention_layernorm'),
      qkv: { weight: linearFromRows([await get(`${p}attention.query_key_value.weight`)], order), bias: vectorFrom([await get(`${p}attention.query_key_value.bias`)], order) },
      o: linear(await get(`${p}attention.dense.weight`), await get(`${p}attention.dense.bias`)),
      in: linear(await get(`${p}mlp.dense_h_to_4h.weight`), await get(`${p}mlp.dense_h_to_4h.bias`)),
      out: linear(await get(`${p}mlp.dense_4h_to_h.weight`), await get(`${p}mlp.dense_4h_to_h.bias`)),
    };
  },
  describe: (cfg) => [
    cfg.activation,
    `rotary on ${cfg.rotaryDim} of ${cfg.dHead} head features (base ${cfg.rotaryBase})`,
    cfg.parallelResidual ? 'parallel residual' : 'sequential residual',
    cfg.tiedEmbeddings ? 'tied unembedding' : 'untied unembedding',
  ],
};
