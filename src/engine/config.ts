import { fail } from './errors';
import type { ModelConfig } from './types';

const ACTIVATIONS: Record<string, ModelConfig['activation']> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
};

function posInt(obj: Record<string, unknown>, key: string, fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`config.json: "${key}" must be a positive integer (got ${JSON.stringify(obj[key])})`);
  return v;
}

/** Parses a Hugging Face GPT-2 config.json (text or object) into the engine's config. */
export function parseConfig(input: string | object): ModelConfig {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      fail('config.json is not valid JSON');
    }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('config.json must hold a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.model_type !== 'gpt2') {
    fail(`config.json: model_type "${String(c.model_type)}" is not supported; Pathlight runs the GPT-2 architecture (model_type "gpt2")`);
  }
  const nLayer = posInt(c, 'n_layer');
  const nHead = posInt(c, 'n_head');
  const dModel = posInt(c, 'n_embd');
  if (dModel % nHead !== 0) fail(`config.json: n_embd ${dModel} is not divisible by n_head ${nHead}`);
  const dMlp = c.n_inner == null ? 4 * dModel : posInt(c, 'n_inner');
  const vocabSize = posInt(c, 'vocab_size');
  const nCtx = posInt(c, 'n_positions', typeof c.n_ctx === 'number' ? c.n_ctx : undefined);
  const act = String(c.activation_function ?? 'gelu_new');
  const activation = ACTIVATIONS[act];
  if (!activation) fail(`config.json: activation_function "${act}" is not supported (gelu_new, gelu, relu)`);
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) fail('config.json: layer_norm_epsilon must be a positive number');
  return { modelType: 'gpt2', nLayer, nHead, dModel, dHead: dModel / nHead, dMlp, vocabSize, nCtx, layerNormEps: eps, activation };
}

/** The inverse of parseConfig: a Hugging Face config.json object. */
export function toHfConfig(cfg: ModelConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
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
