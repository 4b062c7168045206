/**
 * The training gradients (engine forward with its custom matmul gradients, WASM kernels) against a plain
 * reference GPT-2 written with stock tfjs ops and differentiated by tfjs itself.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { forwardLogits } from '../../src/engine/forward';
import { initFlat } from '../../src/engine/init';
import type { ModelConfig } from '../../src/engine/types';
import type { Weights } from '../../src/engine/weights';
import { gpt2Config, gpt2FromFlat } from '../../src/engine/arch/gpt2';
import { Rng } from '../../src/analysis/rng';

const cfg: ModelConfig = gpt2Config({ nLayer: 2, nHead: 4, dModel: 32, dMlp: 64, vocabSize: 40, nCtx: 16 });

function ln(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, cfg.layerNormEps))), w), b);
}

/** Reference forward: stock ops only (matMul with transpose flags, tanh gelu, band-part causal mask). */
function referenceLogits(w: Weights, ids: tf.Tensor2D): tf.Tensor {
  const [B, T] = ids.shape;
  const { nHead: H, dHead: dh, dModel: D } = cfg;
  let x = tf.add(tf.gather(w.embed, ids), tf.slice(w.pos!, [0, 0], [T, D]));
  const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const lin = (a: tf.Tensor, p: { weight: tf.Tensor; bias?: tf.Tensor }) => tf.add(tf.matMul(a.reshape([-1, a.shape[2]!]) as tf.Tensor2D, p.weight as tf.Tensor2D), p.bias!).reshape([B, T, -1]);
  for (const b of w.blocks) {
    const qkv = lin(ln(x, b.ln1.weight, b.ln1.bias!), b.attn.qkv);
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => t.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]));
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh));
    const masked = tf.where(tf.cast(lower, 'bool'), scores, tf.fill(scores.shape, -1e9));
    const z = tf.matMul(tf.softmax(masked), v).transpose([0, 2, 1, 3]).reshape([B, T, D]);
    x = tf.add(x, lin(z, b.attn.o));
    const h = lin(ln(x, b.ln2.weight, b.ln2.bias!), b.mlp.in);
    const g = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(h, tf.mul(0.044715, tf.pow(h, 3)))))));
    x = tf.add(x, lin(g, b.mlp.out));
  }
  x = ln(x, w.lnFinal.weight, w.lnFinal.bias!);
  return tf.matMul(x.reshape([-1, D]) as tf.Tensor2D, w.embed, false, true).reshape([B, T, cfg.vocabSize]);
}

function loss(logits: tf.Tensor, y: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(y, cfg.vocabSize)), -1))) as tf.Scalar;
}

async function gradients(backend: 'cpu' | 'wasm', which: 'engine' | 'reference', B: number) {
  await initBackend(backend);
  const flat = initFlat(cfg, 3);
  // Scale the init up so attention patterns are far from uniform and every path carries gradient.
  const vars = new Map([...flat].map(([k, t]) => [k, tf.variable(k.endsWith('.weight') && !/ln_/.test(k) ? tf.mul(t, 10) : t)] as [string, tf.Variable]));
  const w = gpt2FromFlat(cfg, vars as unknown as Map<string, tf.Tensor>);
  const rng = new Rng(5);
  const x = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: cfg.nCtx }, () => rng.int(cfg.vocabSize))), [B, cfg.nCtx], 'int32');
  const y = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: cfg.nCtx }, () => rng.int(cfg.vocabSize))), [B, cfg.nCtx], 'int32');
  const list = [...vars.values()];
  const { value, grads } = tf.variableGrads(() => loss(which === 'engine' ? forwardLogits(w, cfg, x) : referenceLogits(w, x), y), list);
  const out = new Map<string, Float32Array>();
  for (const [k, v] of vars) out.set(k, grads[v.name].dataSync() as Float32Array);
  const l = value.dataSync()[0];
  tf.dispose([value, x, y, ...Object.values(grads), ...list, ...flat.values()]);
  return { loss: l, grads: out };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) (num += (a[i] - b[i]) ** 2), (den += b[i] ** 2);
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('training gradients', () => {
  let ref: { loss: number; grads: Map<string, Float32Array> };
  beforeAll(async () => {
    ref = await gradients('cpu', 'reference', 12);
  });
  afterAll(async () => {
    await initBackend('cpu');
  });

  // B = 12 gives B·H = 48 attention products (the batched path); B = 1 gives 4 (split into 2-D products on WASM).
  it.each([
    ['cpu', 12],
    ['wasm', 12],
    ['wasm', 1],
  ] as const)('engine forward on %s (batch %i): every parameter gradient matches the reference', async (backend, B) => {
    const want = B === 12 ? ref : await gradients('cpu', 'reference', B);
    const got = await gradients(backend, 'engine', B);
    expect(got.loss).toBeCloseTo(want.loss, 4);
    for (const [k, g] of want.grads) {
      const n = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      expect(n, `${k} has a gradient`).toBeGreaterThan(0);
      expect(relErr(got.grads.get(k)!, g), k).toBeLessThan(1e-3);
    }
  });
});
