import type { ByteSource } from './bytes';
import type { WeightFile } from './checkpoint';
import { parseConfigWithArch } from './config';
import { parseImageProcessor } from './image-preprocess';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import type { ModelConfig } from './types';
import { disposeWeights, loadWeights, paramCount, type LoadProgress, type Weights } from './weights';
import { forgetWeights, rememberWeights } from './weight-transposes';

/** A loaded model: config, weights on the active backend, and its tokenizer when one was given. */
export interface Model {
  name: string;
  config: ModelConfig;
  weights: Weights;
  tokenizer: TextTokenizer | null;
  paramCount: number;
  dispose(): void;
}

export interface ModelFiles {
  /** config.json text or parsed object. */
  config: string | object;
  /** model.safetensors, or the shards of a sharded checkpoint (see parseShardIndex). */
  safetensors: ByteSource | WeightFile[];
  /** tokenizer.json text or parsed object; a model without one takes token ids only. */
  tokenizer?: string | object | null;
  /** Vision models: preprocessor_config.json text or object (absent: ViTImageProcessor's defaults at the model's size). */
  preprocessor?: string | object | null;
  name?: string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

/** A model record over weights already on the backend. */
export function modelOf(name: string, config: ModelConfig, weights: Weights, tokenizer: TextTokenizer | null = null): Model {
  // A GPT-2 checkpoint with its own lm_head.weight is untied whatever the config says.
  const cfg = config.tiedEmbeddings === !weights.unembed ? config : { ...config, tiedEmbeddings: !weights.unembed };
  rememberWeights(weights);
  const dispose = () => {
    forgetWeights(weights);
    disposeWeights(weights);
  };
  return { name, config: cfg, weights, tokenizer, paramCount: paramCount(weights), dispose };
}

export async function loadModel(files: ModelFiles, opts: LoadOptions = {}): Promise<Model> {
  const parsed = parseConfigWithArch(files.config);
  const arch = parsed.arch;
  let config = parsed.config;
  if (config.vision && files.preprocessor) config = { ...config, vision: { ...config.vision, preprocess: parseImageProcessor(files.preprocessor, config.vision) } };
  const tokenizer = files.tokenizer ? loadTokenizer(files.tokenizer, config.vocabSize) : null;
  const weightFiles = Array.isArray(files.safetensors) ? files.safetensors : [{ name: 'model.safetensors', source: files.safetensors }];
  const weights = await loadWeights(config, arch, weightFiles, opts.onProgress, opts.signal);
  return modelOf(files.name ?? 'model', config, weights, tokenizer);
}
