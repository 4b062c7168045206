import * as tf from '@tensorflow/tfjs';
import type { Model } from './model';
import type { ModelConfig } from './types';
import { assembleWeights, disposeWeights, expectedShapes, type Weights } from './weights';

/**
 * GPT-2 initialisation: weights N(0, 0.02), residual output projections N(0, 0.02/√(2·n_layer)),
 * biases 0, layer-norm gains 1. Deterministic for a seed.
 */
export function initWeights(cfg: ModelConfig, seed = 0): Weights {
  return assembleWeights(cfg, initFlat(cfg, seed));
}

/** The initial parameters as a map from Hugging Face key (without `transformer.`) to tensor. */
export function initFlat(cfg: ModelConfig, seed = 0): Map<string, tf.Tensor> {
  const flat = new Map<string, tf.Tensor>();
  let s = seed;
  for (const [key, shape] of expectedShapes(cfg)) {
    let t: tf.Tensor;
    if (/ln_\d\.weight$|ln_f\.weight$/.test(key)) t = tf.ones(shape);
    else if (key.endsWith('.bias')) t = tf.zeros(shape);
    else {
      const std = /c_proj\.weight$/.test(key) ? 0.02 / Math.sqrt(2 * cfg.nLayer) : 0.02;
      t = tf.randomNormal(shape, 0, std, 'float32', s++);
    }
    flat.set(key, t);
  }
  return flat;
}

/** A model with freshly initialised weights and no tokenizer (benchmarks, tests). */
export function randomModel(cfg: ModelConfig, seed = 0, name = 'random'): Model {
  const weights = initWeights(cfg, seed);
  const paramCount = expectedShapes(cfg).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
  return {
    name,
    config: cfg,
    weights,
    tokenizer: null,
    paramCount,
    dispose: () => disposeWeights(weights),
  };
}
