import type { ByteSource } from './bytes';
import { parseConfig } from './config';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import type { ModelConfig } from './types';
import { disposeWeights, expectedShapes, loadWeights, type LoadProgress, type Weights } from './weights';

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
  safetensors: ByteSource;
  /** tokenizer.json text or parsed object; a model without one takes token ids only. */
  tokenizer?: string | object | null;
  name?: string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

export async function loadModel(files: ModelFiles, opts: LoadOptions = {}): Promise<Model> {
  const config = parseConfig(files.config);
  const tokenizer = files.tokenizer ? loadTokenizer(files.tokenizer, config.vocabSize) : null;
  const weights = await loadWeights(config, files.safetensors, opts.onProgress, opts.signal);
  const paramCount = expectedShapes(config).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0) +
    (weights.lm_head ? config.vocabSize * config.dModel : 0);
  return {
    name: files.name ?? 'model',
    config,
    weights,
    tokenizer,
    paramCount,
    dispose: () => disposeWeights(weights),
  };
}
