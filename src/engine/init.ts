import * as tf from '@tensorflow/tfjs';
import { gpt2FromFlat, gpt2Shapes } from './arch/gpt2';
import { modelOf, type Model } from './model';
import type { ModelConfig } from './types';
import type { BlockWeights, Linear, Norm, Weights } from './weights';

/**
 * GPT-2 initialisation: weights N(0, 0.02), residual output projections N(0, 0.02/√(2·n_layer)),
 * biases 0, layer-norm gains 1. Deterministic for a seed.
 */
export function initWeights(cfg: ModelConfig, seed = 0): Weights {
  if (cfg.modelType === 'gpt2') return gpt2FromFlat(cfg, initFlat(cfg, seed));
  return initCanonical(cfg, seed);
}

/** The initial GPT-2 parameters as a map from Hugging Face key (without `transformer.`) to tensor. */
export function initFlat(cfg: ModelConfig, seed = 0): Map<string, tf.Tensor> {
  const flat = new Map<string, tf.Tensor>();
  let s = seed;
  for (const [key, shape] of gpt2Shapes(cfg)) {
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

/** The same initialisation for any architecture, straight into the canonical layout. */
function initCanonical(cfg: ModelConfig, seed: number): Weights {
  const { dModel: D, dMlp: M, nHead: H, nKvHead: K, dHead: dh, vocabSize: V } = cfg;
  let s = seed;
  const normal = (shape: number[], std = 0.02) => tf.randomNormal(shape, 0, std, 'float32', s++);
  const lin = (nIn: number, nOut: number, bias: boolean, std = 0.02): Linear => ({ weight: normal([nIn, nOut], std) as tf.Tensor2D, bias: bias ? tf.zeros([nOut]) : undefined });
  const norm = (): Norm => ({ weight: tf.ones([D]), bias: cfg.norm === 'layernorm' ? tf.zeros([D]) : undefined });
  const outStd = 0.02 / Math.sqrt(2 * cfg.nLayer);
  const blocks: BlockWeights[] = Array.from({ length: cfg.nLayer }, () => ({
    ln1: norm(),
    ln2: norm(),
    attn: { qkv: lin(D, (H + 2 * K) * dh, cfg.bias.qkv), o: lin(H * dh, D, cfg.bias.o, outStd) },
    mlp: { in: lin(D, M, cfg.bias.mlp), gate: cfg.gatedMlp ? lin(D, M, cfg.bias.mlp) : undefined, out: lin(M, D, cfg.bias.mlp, outStd) },
  }));
  return {
    embed: normal([V, D]) as tf.Tensor2D,
    pos: cfg.positions === 'learned' ? (normal([cfg.nCtx, D]) as tf.Tensor2D) : undefined,
    blocks,
    lnFinal: norm(),
    unembed: cfg.tiedEmbeddings ? undefined : (normal([V, D]) as tf.Tensor2D),
  };
}

/** A model with freshly initialised weights and no tokenizer (benchmarks, tests). */
export function randomModel(cfg: ModelConfig, seed = 0, name = 'random'): Model {
  return modelOf(name, cfg, initWeights(cfg, seed));
}
