/**
 * Llama (`model_type: "llama"`, SmolLM2): RMSNorm, rotary over the whole head (rotate-half, `rope_theta`), SwiGLU
 * MLP (`mlp.hook_pre` = gate_proj, `mlp.hook_pre_linear` = up_proj, `mlp.hook_post` = silu(gate)·up),
 * grouped-query attention (`num_key_value_heads`), `head_dim` that may differ from hidden/heads, tied or untied
 * `lm_head`. `llamaFamily` also serves Qwen2 (src/engine/arch/qwen2.ts), which adds q/k/v biases.
 */
import type { Architecture, ModelConfig } from '../types';
import { activationField, checkHeads, refuseUnless, ropeFields } from './config-fields';
import { linear, linearFromRows, vectorFrom } from './convert';
import type { ArchitectureSpec, ConfigFields } from './types';


interface FamilyOptions {
  modelType: Architecture;
  /** Which projections carry biases, from the config. */
  biases(c: ConfigFields): ModelConfig['bias'];
  /** Extra checks of fields this family has and the engine does not implement. */
  refuse?(c: ConfigFields): void;
}

export function llamaFamily(opts: FamilyOptions): ArchitectureSpec {
  const parseConfig = (c: ConfigFields): ModelConfig => {
    const nLayer = c.layers('num_hidden_layers');
    const nHead = c.posInt('num_attention_heads');
    const dModel = c.posInt('hidden_size');
    const nKvHead = c.optInt('num_key_value_heads', nHead);
    checkHeads(nHead, nKvHead, 'num_key_value_heads');
    const dHead = c.optInt('head_dim', Math.floor(dModel / nHead));
    refuseUnless(c, 'pretraining_tp', (v) => v === 1, 'tensor-parallel slicing of the projections is not implemented');
    opts.refuse?.(c);
    const rope = ropeFields(c, ['rope_theta'], 10000, ['partial_rotary_factor'], 1);
    const rotaryDim = Math.floor(dHead * rope.fraction);
    return {
      modelType: opts.modelType,
      nLayer,
      nHead,
      nKvHead,
      dModel,
      dHead,
      dMlp: c.posInt('intermediate_size'),
      vocabSize: c.posInt('vocab_size'),
      nCtx: c.posInt('max_position_embeddings'),
      norm: 'rmsnorm',
      layerNormEps: c.positive('rms_norm_eps', 1e-6),
      activation: activationField(c, 'hidden_act', 'silu'),
      gatedMlp: true,
      positions: 'rotary',
      rotaryDim,
      rotaryBase: rope.base,
      parallelResidual: false,
      attnScale: 1 / Math.sqrt(dHead),
      attnWindows: Array.from({ length: nLayer }, () => null),
      tiedEmbeddings: c.bool('tie_word_embeddings', false),
      bias: opts.biases(c),
    };
  };
  return {
    modelType: opts.modelType,
    prefixes: ['model.'],
    isBuffer: (k) => /^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(k) || k === 'rotary_emb.inv_freq',
    parseConfig,
    tensors(cfg) {
      const { dModel: D, dMlp: M, vocabSize: V, nHead: H, nKvHead: K, dHead: dh } = cfg;
      const b = cfg.bias;
      const out: Array<[string, number[]]> = [['embed_tokens.weight', [V, D]]];
      for (let l = 0; l < cfg.nLayer; l++) {
        const p = `layers.${l}.`;
        const a = `${p}self_attn.`;
        out.push([`${p}input_layernorm.weight`, [D]], [`${p}post_attention_layernorm.weight`, [D]]);
        out.push([`${a}q_proj.weight`, [H * dh, D]], [`${a}k_proj.weight`, [K * dh, D]], [`${a}v_proj.weight`, [K * dh, D]], [`${a}o_proj.weight`, [D, H * dh]]);
        if (b.qkv) out.push([`${a}q_proj.bias`, [H * dh]], [`${a}k_proj.bias`, [K * dh]], [`${a}v_proj.bias`, [K * dh]]);
        if (b.o) out.push([`${a}o_proj.bias`, [D]]);
        out.push([`${p}mlp.gate_proj.weight`, [M, D]], [`${p}mlp.up_proj.weight`, [M, D]], [`${p}mlp.down_proj.weight`, [D, M]]);
        if (b.mlp) out.push([`${p}mlp.gate_proj.bias`, [M]], [`${p}mlp.up_proj.bias`, [M]], [`${p}mlp.down_proj.bias`, [D]]);
      }
      out.push(['norm.weight', [D]]);
      if (!cfg.tiedEmbeddings) out.push(['lm_head.weight', [V, D]]);
      return out;
    },
    async globals(cfg, get) {
      return {
        embed: await get('embed_tokens.weight'),
        lnFinal: { weight: await get('norm.weight') },
        unembed: cfg.tiedEmbeddings ? undefined : await get('lm_head.weight'),
      };
    },
    async block(cfg, l, get) {
      const p = `layers.${l}.`;
      const a = `${p}self_attn.`;
      const b = cfg.bias;
      const opt = async (k: string, on: boolean) => (on ? await get(k) : undefined);
      const mlp = async (k: string) => linear(await get(`${p}mlp.${k}.weight`), await opt(`${p}mlp.${k}.bias`, b.mlp));
      return {
        ln1: { weight: await get(`${p}input_layernorm.weight`) },
        ln2: { weight: await get(`${p}post_attention_layernorm.weight`) },
        qkv: {
          weight: linearFromRows([await get(`${a}q_proj.weight`), await get(`${a}k_proj.weight`), await get(`${a}v_proj.weight`)]),
          bias: b.qkv ? vectorFrom([await get(`${a}q_proj.bias`), await get(`${a}k_proj.bias`), await get(`${a}v_proj.bias`)]) : undefined,
        },
        o: linear(await get(`${a}o_proj.weight`), await opt(`${a}o_proj.bias`, b.o)),
        gate: await mlp('gate_proj'),
        in: await mlp('up_proj'),
        out: await mlp('down_proj'),
      };
    },
    describe: (cfg) => [
      `RMSNorm`,
      `SwiGLU (${cfg.activation})`,
      `rotary on ${cfg.rotaryDim} of ${cfg.dHead} head features (base ${cfg.rotaryBase})`,
      cfg.nKvHead < cfg.nHead ? `grouped-query attention: ${cfg.nKvHead} key/value heads for ${cfg.nHead} query heads (${cfg.nHead / cfg.nKvHead}:1)` : 'multi-head attention',
      cfg.tiedEmbeddings ? 'tied unembedding' : 'untied unembedding',
    ],
  };
}

export const llama = llamaFamily({
  modelType: 'llama',
  biases: (c) => {
    const attn = c.raw.attention_bias === true;
    return { qkv: attn, o: attn, mlp: c.raw.mlp_bias === true };
  },
});
