import * as tf from '@tensorflow/tfjs';
import { cachedTensorCount } from '../../src/engine/forward';
import { charTokenizerJson } from '../../src/engine/char-tokenizer';
import { randomModel } from '../../src/engine/init';
import type { Model } from '../../src/engine/model';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { ModelConfig } from '../../src/engine/types';
import { gpt2Config } from '../../src/engine/arch/gpt2';

export { FIXTURE_DIR } from '../engine/fixture';

export async function useBackend(name: 'cpu' | 'wasm' = 'cpu'): Promise<void> {
  tf.env().set('PROD', true);
  await tf.setBackend(name);
  await tf.ready();
}

/** Live tensors not counting the engine's cached causal masks. */
export function liveTensors(): number {
  return tf.memory().numTensors - cachedTensorCount();
}

export const CHARS = [' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l', 'm', 'n', 'o', 'p', 'r', 's', 't', 'u'];

/** A small random character-level GPT-2 with a tokenizer, for the report code paths. */
export function tinyCharModel(over: Partial<ModelConfig> = {}, seed = 3): Model {
  const V = CHARS.length + 1;
  const cfg: ModelConfig = gpt2Config({ nLayer: 2, nHead: 2, dModel: 16, dMlp: 32, vocabSize: V, nCtx: 32, ...over });
  const m = randomModel(cfg, seed, 'tiny-char');
  // A random init at std 0.02 predicts nearly uniformly; larger embeddings make greedy decoding decisive (and loop).
  const old = m.weights.embed;
  m.weights.embed = tf.keep(tf.mul(old, 40)) as tf.Tensor2D;
  old.dispose();
  m.tokenizer = loadTokenizer(charTokenizerJson(CHARS), V);
  return m;
}

/** Row-major matrix product of a [n, k] and b [k, m] (plain arrays), plus a bias of length m. */
export function affine(a: ArrayLike<number>, n: number, k: number, w: ArrayLike<number>, m: number, bias: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = bias[j];
      for (let q = 0; q < k; q++) s += a[i * k + q] * w[q * m + j];
      out[i * m + j] = s;
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
