/**
 * The gradient of a target at position p with respect to every block hook at that same position, by a backward
 * pass written out for one position in plain arithmetic, after one captured forward pass of the engine.
 *
 * Why one position suffices: a hook's value at position p reaches the target (read at p) only through position
 * p of the later layers — attention is causal, so no earlier position sees it. Backpropagating through one
 * position needs only that position's row of each layer (residual, layer-norm inputs, query, MLP input) plus
 * the keys, values and attention row it read. That is a few matrix-vector products per layer, far cheaper
 * than a batched tensor backward pass, whose cost in small models is dominated by the number of kernels.
 *
 * Used by `attribute` for grad and grad × act at the target position (the default). test/analysis/
 * position-grad.test.ts checks it against the engine's gradients for every target kind and activation, and on
 * every architecture fixture.
 *
 * The hand-written pass covers blocks with LayerNorm, learned positions, an ungated MLP, a sequential residual and
 * one key/value head per query head (GPT-2 and GPT-Neo, local windows included: their masked pattern entries are
 * zero). For any other block (`supportsOnePosition` false) the same result comes from one gradient run of the
 * engine, which is exact for every architecture.
 */
import { fail } from '../engine/errors';
import { hookInfo, hookName } from '../engine/hooks';
import { batchInput, inputPrefix, inputTokens, isPixels, type ModelInput } from '../engine/inputs';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { isCausal, type HookName, type ModelConfig } from '../engine/types';
import { unembedMatrix, type Weights } from '../engine/weights';
import type { ResolvedTarget } from './targets';

interface BlockArrays {
  ln1w: Float32Array;
  wAttn: Float32Array; // [D, 3D]
  wO: Float32Array; // [D, D]
  ln2w: Float32Array;
  wFc: Float32Array; // [D, M]
  wProj: Float32Array; // [M, D]
}
interface JsWeights {
  blocks: BlockArrays[];
  lnfw: Float32Array;
  lnfb: Float32Array;
  unembed: Float32Array; // [V, D]
}

const cache = new WeakMap<Weights, Promise<JsWeights>>();

/**
 * Whether the hand-written one-position backward pass applies to this architecture (else the engine's gradient run
 * is used). It follows only the target position's own row back through causal attention, so a non-causal model
 * (vit, whose other tokens reach the output through later layers' attention) takes the engine's gradient run.
 */
export function supportsOnePosition(cfg: ModelConfig): boolean {
  return isCausal(cfg) && !cfg.vision && cfg.norm === 'layernorm' && cfg.positions === 'learned' && !cfg.gatedMlp && !cfg.parallelResidual && cfg.nKvHead === cfg.nHead && cfg.activation !== 'silu';
}

/** The weights a one-position backward pass reads, copied off the backend once per model. */
function jsWeights(w: Weights): Promise<JsWeights> {
  let p = cache.get(w);
  if (!p) {
    const read = async (t: { data(): Promise<unknown> }) => (await t.data()) as Float32Array;
    p = (async () => ({
      blocks: await Promise.all(
        w.blocks.map(async (b) => ({
          ln1w: await read(b.ln1.weight),
          wAttn: await read(b.attn.qkv.weight),
          wO: await read(b.attn.o.weight),
          ln2w: await read(b.ln2.weight),
          wFc: await read(b.mlp.in.weight),
          wProj: await read(b.mlp.out.weight),
        })),
      ),
      lnfw: await read(w.lnFinal.weight),
      lnfb: await read(w.lnFinal.bias!),
      unembed: await read(unembedMatrix(w)),
    }))();
    cache.set(w, p);
  }
  return p;
}

/** dx = W · dy for y = x · W with W [n_in, n_out] row-major. */
function backLinear(W: Float32Array, dy: Float64Array, nIn: number, nOut: number): Float64Array {
  const dx = new Float64Array(nIn);
  for (let i = 0; i < nIn; i++) {
    let s = 0;
    const row = i * nOut;
    for (let o = 0; o < nOut; o++) s += W[row + o] * dy[o];
    dx[i] = s;
  }
  return dx;
}

/** Mean and reciprocal standard deviation of the row x[off .. off + D), as the layer norm uses them. */
function rowStats(x: ArrayLike<number>, off: number, D: number, eps: number): { mu: number; rstd: number } {
  let mu = 0;
  for (let i = 0; i < D; i++) mu += x[off + i];
  mu /= D;
  let v = 0;
  for (let i = 0; i < D; i++) v += (x[off + i] - mu) ** 2;
  return { mu, rstd: 1 / Math.sqrt(v / D + eps) };
}

/** Layer-norm backward for one row: x the input, w the gain, dy the gradient of the output. */
function backLayerNorm(x: ArrayLike<number>, off: number, w: Float32Array, dy: Float64Array, eps: number): Float64Array {
  const D = dy.length;
  const { mu, rstd } = rowStats(x, off, D, eps);
  let mg = 0;
  let mgx = 0;
  const g = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    g[i] = dy[i] * w[i];
    mg += g[i];
    mgx += g[i] * (x[off + i] - mu) * rstd;
  }
  mg /= D;
  mgx /= D;
  const dx = new Float64Array(D);
  for (let i = 0; i < D; i++) dx[i] = rstd * (g[i] - mg - (x[off + i] - mu) * rstd * mgx);
  return dx;
}

/** erf: its Maclaurin series below 0.5, the Chebyshev fit of erfc (Numerical Recipes `erfcc`, error < 1.2e-7) above. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a < 0.5) {
    // Maclaurin series: accurate to double precision for |x| < 0.5 with these terms.
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 20; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  const t = 1 / (1 + 0.5 * a);
  const y =
    t *
    Math.exp(
      -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return s * (1 - y);
}

/** d activation / d pre for the model's MLP nonlinearity. */
function activationSlope(x: number, kind: ModelConfig['activation']): number {
  if (kind === 'relu') return x > 0 ? 1 : 0;
  if (kind === 'gelu') return 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  const c = Math.sqrt(2 / Math.PI);
  const u = 2 * c * (x + 0.044715 * x * x * x);
  const sg = 1 / (1 + Math.exp(-u));
  return sg + x * sg * (1 - sg) * 2 * c * (1 + 3 * 0.044715 * x * x);
}

export interface PositionGradients {
  targetValue: number;
  /** Clean values of the requested hooks, batch-free [T, ...unit shape]. */
  activations: Record<HookName, Float32Array>;
  /** d target / d hook at the target position, [...unit shape] (one position's values). */
  grads: Record<HookName, Float64Array>;
}

/**
 * One captured forward pass, then the backward pass at the target position in plain arithmetic. `hooks` may be
 * any of `blocks.L.mlp.hook_post` and `blocks.L.attn.hook_z`; `ids` is the whole prompt (positions after the
 * target are ignored).
 */
export async function positionGradients(model: Model, ids: ModelInput, target: ResolvedTarget, hooks: HookName[]): Promise<PositionGradients> {
  const cfg = model.config;
  const { nLayer: L, nHead: H, dHead: dh, dModel: D, dMlp: M, vocabSize: V, layerNormEps: eps } = cfg;
  for (const h of hooks) if (!/^blocks\.\d+\.(mlp\.hook_post|attn\.hook_z)$/.test(h)) fail(`one-position gradients are for mlp.hook_post and attn.hook_z, not ${h}`);
  if (!supportsOnePosition(cfg) || isPixels(ids)) return engineGradients(model, ids, target, hooks);
  const p = target.position;
  const T = p + 1;
  const x = ids.slice(0, T);
  const per = ['hook_resid_pre', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'hook_resid_mid', 'mlp.hook_pre'] as const;
  const capture = new Set<HookName>(hooks);
  for (let l = 0; l < L; l++) for (const k of per) capture.add(hookName(l, k));
  capture.add(hookName(L - 1, 'hook_resid_post'));
  const [r, W] = await Promise.all([runModel(model, { inputIds: [x], capture: [...capture], logits: 'none' }), jsWeights(model.weights)]);
  const A = (h: HookName) => r.activations[h].data;

  // Logits at p from the final residual, and the target's gradient with respect to them.
  const fin = A(hookName(L - 1, 'hook_resid_post'));
  const off = p * D;
  const { mu, rstd } = rowStats(fin, off, D, eps);
  const lnf = new Float64Array(D);
  for (let i = 0; i < D; i++) lnf[i] = (fin[off + i] - mu) * rstd * W.lnfw[i] + W.lnfb[i];
  const logits = new Float64Array(V);
  for (let t = 0; t < V; t++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += W.unembed[t * D + i] * lnf[i];
    logits[t] = s;
  }
  const gLogits = new Float64Array(V);
  let targetValue: number;
  if (target.kind === 'logit') {
    gLogits[target.token] = 1;
    targetValue = logits[target.token];
  } else if (target.kind === 'logit_diff') {
    gLogits[target.token] += 1;
    gLogits[target.distractor!] -= 1;
    targetValue = logits[target.token] - logits[target.distractor!];
  } else if (target.kind === 'logprob') {
    let mx = -Infinity;
    for (let t = 0; t < V; t++) mx = Math.max(mx, logits[t]);
    let z = 0;
    for (let t = 0; t < V; t++) z += Math.exp(logits[t] - mx);
    for (let t = 0; t < V; t++) gLogits[t] = -Math.exp(logits[t] - mx) / z;
    gLogits[target.token] += 1;
    targetValue = logits[target.token] - mx - Math.log(z);
  } else {
    return fail(`target kind "${target.kind}" is not one of logit, logit_diff, logprob`);
  }
  const dLnf = new Float64Array(D);
  for (let t = 0; t < V; t++) {
    const g = gLogits[t];
    if (g === 0) continue;
    for (let i = 0; i < D; i++) dLnf[i] += W.unembed[t * D + i] * g;
  }
  let dR = backLayerNorm(fin, off, W.lnfw, dLnf, eps);

  const grads: Record<HookName, Float64Array> = {};
  const scale = cfg.attnScale;
  for (let l = L - 1; l >= 0; l--) {
    const b = W.blocks[l];
    // resid_post = resid_mid + c_proj(gelu(c_fc(ln2(resid_mid))))
    const dPost = backLinear(b.wProj, dR, M, D);
    grads[hookName(l, 'mlp.hook_post')] = dPost;
    const pre = A(hookName(l, 'mlp.hook_pre'));
    const dPre = new Float64Array(M);
    for (let j = 0; j < M; j++) dPre[j] = dPost[j] * activationSlope(pre[p * M + j], cfg.activation);
    const dLn2 = backLinear(b.wFc, dPre, D, M);
    const dLn2x = backLayerNorm(A(hookName(l, 'hook_resid_mid')), off, b.ln2w, dLn2, eps);
    const dMid = new Float64Array(D);
    for (let i = 0; i < D; i++) dMid[i] = dR[i] + dLn2x[i];
    // resid_mid = resid_pre + c_proj(z), z_h = Σ_j P_h[p, j] v_h[j], P = softmax(q_p · k_j / √d_head)
    const dZ = backLinear(b.wO, dMid, D, D);
    grads[hookName(l, 'attn.hook_z')] = dZ;
    const q = A(hookName(l, 'attn.hook_q'));
    const k = A(hookName(l, 'attn.hook_k'));
    const vv = A(hookName(l, 'attn.hook_v'));
    const pat = A(hookName(l, 'attn.hook_pattern'));
    const dQkv = new Float64Array(3 * D);
    for (let h = 0; h < H; h++) {
      const P = (j: number) => pat[(h * T + p) * T + j];
      const dP = new Float64Array(T);
      let dot = 0;
      for (let j = 0; j <= p; j++) {
        let s = 0;
        for (let e = 0; e < dh; e++) s += dZ[h * dh + e] * vv[(j * H + h) * dh + e];
        dP[j] = s;
        dot += P(j) * s;
      }
      for (let j = 0; j <= p; j++) {
        const ds = P(j) * (dP[j] - dot) * scale;
        for (let e = 0; e < dh; e++) dQkv[h * dh + e] += ds * k[(j * H + h) * dh + e];
        if (j === p) for (let e = 0; e < dh; e++) dQkv[D + h * dh + e] += ds * q[(p * H + h) * dh + e];
      }
      for (let e = 0; e < dh; e++) dQkv[2 * D + h * dh + e] += P(p) * dZ[h * dh + e];
    }
    const dLn1 = backLinear(b.wAttn, dQkv, D, 3 * D);
    const dLn1x = backLayerNorm(A(hookName(l, 'hook_resid_pre')), off, b.ln1w, dLn1, eps);
    const next = new Float64Array(D);
    for (let i = 0; i < D; i++) next[i] = dMid[i] + dLn1x[i];
    dR = next;
  }
  const activations: Record<HookName, Float32Array> = {};
  for (const h of hooks) {
    hookInfo(h, cfg);
    activations[h] = A(h);
  }
  const out: Record<HookName, Float64Array> = {};
  for (const h of hooks) out[h] = grads[h];
  return { targetValue, activations, grads: out };
}

/**
 * The general path: one gradient run of the engine on the prompt up to the target (the whole input for non-causal
 * models), the target position's rows kept.
 */
async function engineGradients(model: Model, ids: ModelInput, target: ResolvedTarget, hooks: HookName[]): Promise<PositionGradients> {
  const cfg = model.config;
  const p = target.position;
  const x = inputPrefix(cfg, ids, p);
  const T = inputTokens(cfg, x);
  const r = await runModel(model, { ...batchInput(x, 1), capture: hooks, target: { kind: target.kind, token: target.token, distractor: target.distractor, position: p }, logits: 'none' });
  const activations: Record<HookName, Float32Array> = {};
  const grads: Record<HookName, Float64Array> = {};
  for (const h of hooks) {
    activations[h] = r.activations[h].data;
    const row = r.grads[h].data.length / T;
    grads[h] = Float64Array.from(r.grads[h].data.subarray(p * row, (p + 1) * row));
  }
  return { targetValue: r.targetValues![0], activations, grads };
}
