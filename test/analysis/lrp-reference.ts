/**
 * LRP relevance coefficients worked out by hand: the backward pass of the block written in plain float64
 * arithmetic with the RelP rules applied step by step, reading the weights and the forward values (norm scales,
 * attention patterns, MLP inputs) of one engine run. Independent of the engine's tf.customGrad implementation.
 *
 * Rules: LN-rule (the norm's 1/std is a constant: the backward pass is scale · (centre of the incoming
 * gradient) for LayerNorm, scale · gradient for RMSNorm); AH-rule (the attention pattern is a constant: only the
 * values are differentiated); identity rule (act(x) = x · act(x)/x with the ratio constant); half rule
 * (act(gate)·up: each factor receives half of the gradient times the other).
 */
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';

const arr = (t: { dataSync(): ArrayLike<number> }) => Float64Array.from(t.dataSync());

function ratio(x: number, kind: string): number {
  if (kind === 'relu') return x > 0 ? 1 : 0;
  if (kind === 'silu') return 1 / (1 + Math.exp(-x));
  if (kind === 'gelu') return 0.5 * (1 + erf(x / Math.SQRT2));
  const c = Math.sqrt(2 / Math.PI);
  return 1 / (1 + Math.exp(-2 * c * (x + 0.044715 * x ** 3)));
}
/** Abramowitz–Stegun 7.1.26 is too coarse; a series/continued-fraction erf good to ~1e-12. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    let sum = a;
    let term = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  return s * (1 - Math.exp(-a * a) / (a * Math.sqrt(Math.PI)) * (1 - 1 / (2 * a * a)));
}

/** Per-position 1/std (LayerNorm) or 1/rms (RMSNorm) of rows x [T, D]. */
function scales(x: ArrayLike<number>, T: number, D: number, kind: string, eps: number): Float64Array {
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let mu = 0;
    if (kind !== 'rmsnorm') for (let i = 0; i < D; i++) mu += x[t * D + i] / D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[t * D + i] - mu) ** 2 / D;
    s[t] = 1 / Math.sqrt(v + eps);
  }
  return s;
}

/** The LN-rule backward of a norm with weight γ: g [T, D] at the norm's output → gradient at its input. */
function normBack(g: Float64Array, gamma: Float64Array, s: Float64Array, T: number, D: number, kind: string): Float64Array {
  const out = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let i = 0; i < D; i++) mean += (g[t * D + i] * gamma[i]) / D;
    for (let i = 0; i < D; i++) out[t * D + i] = s[t] * (g[t * D + i] * gamma[i] - (kind === 'rmsnorm' ? 0 : mean));
  }
  return out;
}

/** y [T, out] = x [T, in] · Wᵀ where W is [in, out] stored row-major: gradient at x from gradient at y. */
function backLinear(gy: Float64Array, W: Float64Array, T: number, nIn: number, nOut: number, colOffset = 0, rowStride = nOut): Float64Array {
  const gx = new Float64Array(T * nIn);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < nIn; i++) {
      let acc = 0;
      for (let o = 0; o < nOut; o++) acc += W[i * rowStride + colOffset + o] * gy[t * nOut + o];
      gx[t * nIn + i] = acc;
    }
  }
  return gx;
}

export type HandMetric = { kind: 'logit_diff'; token: number; distractor: number } | { kind: 'logit' | 'logprob'; token: number };

/**
 * Relevance coefficients of the metric read at the last position, with respect to every layer's
 * `mlp.hook_post`, `attn.hook_z` and `hook_resid_pre` at every position ([T, ...] batch-free), on prompt `ids`.
 */
export async function handRelevance(model: Model, ids: number[], metric: HandMetric): Promise<Record<string, Float64Array>> {
  const cfg = model.config;
  const { nLayer: L, dModel: D, dMlp: M, nHead: H, nKvHead: K, dHead: dh, vocabSize: V, norm, layerNormEps: eps } = cfg;
  const T = ids.length;
  const P = T - 1;
  const capture: string[] = [];
  for (let l = 0; l < L; l++) {
    capture.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.attn.hook_pattern`, `blocks.${l}.mlp.hook_pre`, `blocks.${l}.hook_resid_post`);
    if (!cfg.parallelResidual) capture.push(`blocks.${l}.hook_resid_mid`);
    if (cfg.gatedMlp) capture.push(`blocks.${l}.mlp.hook_pre_linear`);
  }
  const r = await runModel(model, { inputIds: [ids], capture, logits: 'last' });
  const a = (h: string) => Float64Array.from(r.activations[h].data);
  const w = model.weights;
  const E = arr(w.unembed ?? w.embed); // [V, D]
  // Gradient of the metric at the final norm's output (after its weight), position P.
  const u = new Float64Array(D);
  if (metric.kind === 'logprob') {
    const logits = r.logits!.data;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[v] - mx);
    for (let v = 0; v < V; v++) {
      const coef = (v === metric.token ? 1 : 0) - Math.exp(logits[v] - mx) / z;
      for (let i = 0; i < D; i++) u[i] += coef * E[v * D + i];
    }
  } else {
    for (let i = 0; i < D; i++) u[i] = E[metric.token * D + i] - (metric.kind === 'logit_diff' ? E[metric.distractor * D + i] : 0);
  }
  const g0 = new Float64Array(T * D);
  g0.set(u, P * D);
  const resFinal = a(`blocks.${L - 1}.hook_resid_post`);
  let g = normBack(g0, arr(w.lnFinal.weight), scales(resFinal, T, D, norm, eps), T, D, norm);
  const out: Record<string, Float64Array> = {};
  for (let l = L - 1; l >= 0; l--) {
    const b = w.blocks[l];
    const gResidPost = g;
    // MLP.
    const gPost = backLinear(gResidPost, arr(b.mlp.out.weight), T, M, D);
    out[`blocks.${l}.mlp.hook_post`] = gPost;
    const pre = a(`blocks.${l}.mlp.hook_pre`);
    let gX2: Float64Array;
    if (cfg.gatedMlp) {
      const up = a(`blocks.${l}.mlp.hook_pre_linear`);
      const gGate = new Float64Array(T * M);
      const gUp = new Float64Array(T * M);
      for (let i = 0; i < T * M; i++) {
        const rr = ratio(pre[i], cfg.activation);
        gGate[i] = 0.5 * gPost[i] * up[i] * rr;
        gUp[i] = 0.5 * gPost[i] * pre[i] * rr;
      }
      const fromGate = backLinear(gGate, arr(b.mlp.gate!.weight), T, D, M);
      const fromUp = backLinear(gUp, arr(b.mlp.in.weight), T, D, M);
      gX2 = fromGate.map((x, i) => x + fromUp[i]);
    } else {
      const gPre = gPost.map((x, i) => x * ratio(pre[i], cfg.activation));
      gX2 = backLinear(gPre, arr(b.mlp.in.weight), T, D, M);
    }
    const residPre = a(`blocks.${l}.hook_resid_pre`);
    const ln2In = cfg.parallelResidual ? residPre : a(`blocks.${l}.hook_resid_mid`);
    const gLn2 = normBack(gX2, arr(b.ln2.weight), scales(ln2In, T, D, norm, eps), T, D, norm);
    // Sequential: resid_mid receives resid_post's gradient and the MLP's; parallel: attention reads resid_post's.
    const gAttnOut = cfg.parallelResidual ? gResidPost : gResidPost.map((x, i) => x + gLn2[i]);
    const gZ = backLinear(gAttnOut, arr(b.attn.o.weight), T, H * dh, D);
    out[`blocks.${l}.attn.hook_z`] = gZ;
    const A = a(`blocks.${l}.attn.hook_pattern`); // [H, T, T]
    const gV = new Float64Array(T * K * dh);
    for (let h = 0; h < H; h++) {
      const kv = Math.floor((h * K) / H);
      for (let t = 0; t < T; t++) for (let j = 0; j <= t; j++) {
        const p = A[(h * T + t) * T + j];
        for (let c = 0; c < dh; c++) gV[(j * K + kv) * dh + c] += p * gZ[(t * H + h) * dh + c];
      }
    }
    const qkvW = arr(b.attn.qkv.weight);
    const gX1 = backLinear(gV, qkvW, T, D, K * dh, H * dh + K * dh, (H + 2 * K) * dh);
    const gLn1 = normBack(gX1, arr(b.ln1.weight), scales(residPre, T, D, norm, eps), T, D, norm);
    const gPre = new Float64Array(T * D);
    for (let i = 0; i < T * D; i++) gPre[i] = gAttnOut[i] + gLn1[i] + (cfg.parallelResidual ? gLn2[i] : 0);
    out[`blocks.${l}.hook_resid_pre`] = gPre;
    g = gPre;
  }
  return out;
}
