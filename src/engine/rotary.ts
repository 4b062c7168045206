/**
 * Rotary position embeddings (rotate-half pairing, as GPT-NeoX and Llama): feature i of the first `rotaryDim`
 * of each head pairs with i + rotaryDim/2 and both rotate by position · base^(−2i/rotaryDim); the rest pass
 * through. Angles follow the Hugging Face computation in float32 (inverse frequencies, then position × frequency).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './types';

/** Per (rotaryDim, base): cos and sin [n, rotaryDim] for positions 0..n−1, n grown by doubling as needed. */
const tables = new Map<string, { n: number; cos: tf.Tensor2D; sin: tf.Tensor2D }>();

function fullTable(cfg: ModelConfig, need: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const rd = cfg.rotaryDim;
  const key = `${rd}/${cfg.rotaryBase}`;
  let t = tables.get(key);
  if (!t || t.cos.isDisposed || t.n < need) {
    if (t && !t.cos.isDisposed) (t.cos.dispose(), t.sin.dispose());
    let n = 64;
    while (n < need) n *= 2;
    const half = rd / 2;
    const inv = Array.from({ length: half }, (_, i) => Math.fround(1 / Math.fround(cfg.rotaryBase ** Math.fround((2 * i) / rd))));
    const cos = new Float32Array(n * rd);
    const sin = new Float32Array(n * rd);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < half; i++) {
        const a = Math.fround(s * inv[i]);
        cos[s * rd + i] = cos[s * rd + i + half] = Math.cos(a);
        sin[s * rd + i] = sin[s * rd + i + half] = Math.sin(a);
      }
    }
    t = { n, cos: tf.keep(tf.tensor2d(cos, [n, rd])), sin: tf.keep(tf.tensor2d(sin, [n, rd])) };
    tables.set(key, t);
  }
  return t;
}

/** Tensors kept between calls (memory tests discount them). */
export function rotaryCachedTensors(): number {
  return [...tables.values()].filter((t) => !t.cos.isDisposed).length * 2;
}

/** Rotates x [B, S, heads, d_head] for absolute positions offset..offset+S−1. */
export function applyRotary(x: tf.Tensor, cfg: ModelConfig, offset: number): tf.Tensor {
  const [B, S, Hh, dh] = x.shape;
  const rd = cfg.rotaryDim;
  const full = fullTable(cfg, offset + S);
  const cos = tf.reshape(tf.slice(full.cos, [offset, 0], [S, rd]), [1, S, 1, rd]);
  const sin = tf.reshape(tf.slice(full.sin, [offset, 0], [S, rd]), [1, S, 1, rd]);
  const rot = rd === dh ? x : tf.slice(x, [0, 0, 0, 0], [B, S, Hh, rd]);
  const [x1, x2] = tf.split(rot, 2, 3);
  const turned = tf.concat([tf.neg(x2), x1], 3);
  const out = tf.add(tf.mul(rot, cos), tf.mul(turned, sin));
  return rd === dh ? out : tf.concat([out, tf.slice(x, [0, 0, 0, rd], [B, S, Hh, dh - rd])], 3);
}
