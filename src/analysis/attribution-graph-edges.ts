/**
 * The candidate nodes of the attribution graph and every edge between them (before pruning): the linearised
 * direct effect of one node on another through the residual stream only (docs/terminology.md, "Attribution graph").
 *
 * Each node writes an output vector o into the residual stream at its position: an embedding its
 * `blocks.0.hook_resid_pre` row, a neuron post · W_out[n], a head z · W_O[h], a rest node the sum of what the layer's
 * other units write there. Each downstream node reads the residual through a norm whose scale s is frozen at its
 * value on the run, so o changes the normalised input by s · C(o) (C: LayerNorm's mean-centering). The edge u → v
 * is o_u · ∂f_v/∂(residual), f_v the downstream node's linearised input:
 * - neuron: its activation with the nonlinearity frozen, ρ · pre (ρ = act(pre)/pre, the identity rule); gated
 *   MLPs act(g) · up under the half rule, ½(ρ_g · up · dg + act(g) · dup). Sources at the same position only.
 * - head at query t: ẑ · z (ẑ = z/|z| frozen, so f = |z|) with z = Σ_j A_tj v_j. Value path: the pattern A frozen,
 *   A_tj · (image of o_u in v_j) · ẑ. With `ov+qk` also the first-order effect through the scores
 *   S_tj = α q_t · k_j (rotary applied): dA_tj = A_tj (dS_tj − Σ_k A_tk dS_tk), giving
 *   α A_tj c_j (image of o_u in k_j) · q_t for a source at j and (image in q_t) · α Σ_j A_tj c_j k_j at j = t,
 *   c_j = v_j · ẑ − |z|.
 * - logit: the metric through the final norm (scale frozen) and the unembedding: o · s C(γ ∘ u),
 *   u = W_U[t] (− W_U[d]); for logprob u = W_U[t] − Σ_v p_v W_U[v] with the softmax p frozen.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../engine/model';
import { unembedMatrix } from '../engine/weights';
import { project, values, type GraphCaptures } from './attribution-graph-io';
import { activationRatio, dot, normRead, normScales, rotateAt, rotaryTables, topAbs } from './attribution-graph-math';
import { nodeDepth, type GraphNodeKind } from './attribution-graph-types';

export interface CandidateNode {
  kind: GraphNodeKind;
  layer: number;
  index: number;
  position: number;
  depth: number;
  /** What it writes into the residual stream at its position [D] (null for the logit). */
  out: Float32Array | null;
  activation: number | null;
  gxa: number;
}

export interface CandidateGraph {
  nodes: CandidateNode[];
  /** Edge e: nodes[src[e]] → nodes[dst[e]] with weight w[e] (qk[e] of it through queries and keys). */
  src: number[];
  dst: number[];
  w: number[];
  qk: number[];
  logit: number;
}

export interface CandidateOptions {
  candidatesPerLayer: number;
  headCandidatesPerLayer: number;
  attention: 'ov' | 'ov+qk';
  metric: { kind: 'logit' | 'logit_diff' | 'logprob'; token: number; distractor?: number };
  /** Between layers (cancellation, the worker's scheduler). */
  step?: () => Promise<void>;
}

export async function candidateGraph(model: Model, cap: GraphCaptures, o: CandidateOptions): Promise<CandidateGraph> {
  const cfg = model.config;
  const w = model.weights;
  const { nLayer: L, dModel: D, nHead: H, nKvHead: K, dHead: dh, dMlp: M, norm, layerNormEps: eps } = cfg;
  const T = cap.T;
  const rot = cfg.positions === 'rotary';
  const tables = rot ? rotaryTables(cfg, T) : null;
  const nodes: CandidateNode[] = [];
  const src: number[] = [];
  const dst: number[] = [];
  const ws: number[] = [];
  const qks: number[] = [];
  const add = (n: Omit<CandidateNode, 'depth'>) => nodes.push({ ...n, depth: nodeDepth(n.kind, n.layer, L) }) - 1;
  const edge = (u: number, v: number, weight: number, qk: number) => {
    if (weight === 0 || !Number.isFinite(weight)) return;
    src.push(u);
    dst.push(v);
    ws.push(weight);
    qks.push(qk);
  };
  const b = (l: number, p: string) => cap.act(`blocks.${l}.${p}`);

  const resid0 = b(0, 'hook_resid_pre');
  for (let t = 0; t < T; t++) add({ kind: 'embedding', layer: -1, index: 0, position: t, out: resid0.slice(t * D, (t + 1) * D), activation: null, gxa: 0 });

  for (let l = 0; l < L; l++) {
    await o.step?.();
    const blk = w.blocks[l];
    // Layer l's heads: candidates by |grad × act| of the target, and the rest of the attention output per position.
    const z = b(l, 'attn.hook_z');
    const gz = cap.grad(`blocks.${l}.attn.hook_z`);
    const hg = new Float32Array(T * H);
    for (let i = 0; i < T * H; i++) hg[i] = dot(z, i * dh, gz, i * dh, dh);
    const Wo = await values(tf.clone(blk.attn.o.weight));
    const bo = blk.attn.o.bias ? await values(tf.clone(blk.attn.o.bias)) : null;
    const headCands = topAbs(hg, o.headCandidatesPerLayer).sort((a, c) => a - c);
    const attnOut = b(l, 'hook_attn_out');
    const rest = Float32Array.from(attnOut);
    const perPos = new Int32Array(T);
    const headNodes: number[] = [];
    for (const i of headCands) {
      const t = Math.floor(i / H);
      const h = i % H;
      const out = new Float32Array(D);
      for (let k = 0; k < dh; k++) {
        const zk = z[i * dh + k];
        if (zk !== 0) for (let d = 0; d < D; d++) out[d] += zk * Wo[(h * dh + k) * D + d];
      }
      for (let d = 0; d < D; d++) rest[t * D + d] -= out[d];
      perPos[t]++;
      headNodes.push(add({ kind: 'head', layer: l, index: h, position: t, out, activation: Math.sqrt(dot(z, i * dh, z, i * dh, dh)), gxa: hg[i] }));
    }
    const attnSources = nodes.length - headNodes.length;
    for (let t = 0; t < T; t++) {
      if (perPos[t] === H) continue;
      const out = rest.slice(t * D, (t + 1) * D);
      if (bo) for (let d = 0; d < D; d++) out[d] -= bo[d];
      add({ kind: 'attn_rest', layer: l, index: -1, position: t, out, activation: null, gxa: 0 });
    }
    await headEdges(l, headNodes, attnSources);

    // Layer l's neurons.
    const post = b(l, 'mlp.hook_post');
    const gp = cap.grad(`blocks.${l}.mlp.hook_post`);
    const ng = new Float32Array(T * M);
    for (let i = 0; i < T * M; i++) ng[i] = post[i] * gp[i];
    const neuronCands = topAbs(ng, o.candidatesPerLayer).sort((a, c) => a - c);
    const units = [...new Set(neuronCands.map((i) => i % M))].sort((a, c) => a - c);
    const col = new Map(units.map((n, j) => [n, j]));
    const Wout = units.length ? await values(tf.tidy(() => tf.gather(blk.mlp.out.weight, units, 0))) : new Float32Array(0);
    const bout = blk.mlp.out.bias ? await values(tf.clone(blk.mlp.out.bias)) : null;
    const mlpRest = Float32Array.from(b(l, 'hook_mlp_out'));
    perPos.fill(0);
    const neuronNodes: number[] = [];
    for (const i of neuronCands) {
      const t = Math.floor(i / M);
      const n = i % M;
      const j = col.get(n)!;
      const out = new Float32Array(D);
      for (let d = 0; d < D; d++) out[d] = post[i] * Wout[j * D + d];
      for (let d = 0; d < D; d++) mlpRest[t * D + d] -= out[d];
      perPos[t]++;
      neuronNodes.push(add({ kind: 'neuron', layer: l, index: n, position: t, out, activation: post[i], gxa: ng[i] }));
    }
    const mlpSources = nodes.length - neuronNodes.length;
    for (let t = 0; t < T; t++) {
      if (perPos[t] === M) continue;
      const out = mlpRest.slice(t * D, (t + 1) * D);
      if (bout) for (let d = 0; d < D; d++) out[d] -= bout[d];
      add({ kind: 'mlp_rest', layer: l, index: -1, position: t, out, activation: null, gxa: 0 });
    }
    await neuronEdges(l, neuronNodes, mlpSources, units, col);
  }

  const logit = add({ kind: 'logit', layer: L, index: o.metric.token, position: T - 1, out: null, activation: null, gxa: 0 });
  await logitEdges(logit);
  return { nodes, src, dst, w: ws, qk: qks, logit };

  /** Sources (nodes[0 .. nSources), all read before the block) into the heads `targets` of layer l. */
  async function headEdges(l: number, targets: number[], nSources: number): Promise<void> {
    if (targets.length === 0) return;
    const blk = w.blocks[l];
    const gamma = await values(tf.clone(blk.ln1.weight));
    const s1 = normScales(b(l, 'hook_resid_pre'), T, D, norm, eps);
    const X = new Float32Array(nSources * D);
    for (let r = 0; r < nSources; r++) normRead(nodes[r].out!, 0, gamma, norm, X, r * D);
    const width = (H + 2 * K) * dh;
    const Y = await project(X, nSources, D, blk.attn.qkv.weight);
    const byPos: number[][] = Array.from({ length: T }, () => []);
    for (let r = 0; r < nSources; r++) {
      const j = nodes[r].position;
      byPos[j].push(r);
      for (let c = 0; c < width; c++) Y[r * width + c] *= s1[j];
      if (tables) for (let hh = 0; hh < H + K; hh++) rotateAt(Y, r * width + hh * dh, j, cfg.rotaryDim, tables);
    }
    const z = b(l, 'attn.hook_z');
    const pat = b(l, 'attn.hook_pattern');
    const q = b(l, rot ? 'attn.hook_rot_q' : 'attn.hook_q');
    const k = b(l, rot ? 'attn.hook_rot_k' : 'attn.hook_k');
    const v = b(l, 'attn.hook_v');
    const alpha = cfg.attnScale;
    const withQk = o.attention === 'ov+qk';
    const zh = new Float32Array(dh);
    const kappa = new Float32Array(dh);
    const c = new Float64Array(T);
    for (const ni of targets) {
      const { index: h, position: t } = nodes[ni];
      const kv = Math.floor((h * K) / H);
      const zi = (t * H + h) * dh;
      const nz = Math.sqrt(dot(z, zi, z, zi, dh));
      if (nz === 0) continue;
      for (let d = 0; d < dh; d++) zh[d] = z[zi + d] / nz;
      const A = (h * T + t) * T;
      kappa.fill(0);
      if (withQk) {
        for (let j = 0; j <= t; j++) {
          c[j] = dot(v, (j * K + kv) * dh, zh, 0, dh) - nz;
          const f = alpha * pat[A + j] * c[j];
          if (f !== 0) for (let d = 0; d < dh; d++) kappa[d] += f * k[(j * K + kv) * dh + d];
        }
      }
      const qi = (t * H + h) * dh;
      for (let j = 0; j <= t; j++) {
        const a = pat[A + j];
        if (a === 0 && j !== t) continue;
        for (const r of byPos[j]) {
          const row = r * width;
          const ov = a * dot(Y, row + (H + K + kv) * dh, zh, 0, dh);
          let qk = 0;
          if (withQk) {
            if (a !== 0) qk += alpha * a * c[j] * dot(Y, row + (H + kv) * dh, q, qi, dh);
            if (j === t) qk += dot(Y, row + h * dh, kappa, 0, dh);
          }
          edge(r, ni, ov + qk, qk);
        }
      }
    }
  }

  /** Sources at the same position into the neurons `targets` of layer l (their unit columns `units`). */
  async function neuronEdges(l: number, targets: number[], nSources: number, units: number[], col: Map<number, number>): Promise<void> {
    if (targets.length === 0) return;
    const blk = w.blocks[l];
    const gamma = await values(tf.clone(blk.ln2.weight));
    const s2 = normScales(b(l, cfg.parallelResidual ? 'hook_resid_pre' : 'hook_resid_mid'), T, D, norm, eps);
    const wanted = new Set(targets.map((ni) => nodes[ni].position));
    // Parallel residual: the MLP reads resid_pre, so the same layer's heads are not upstream of it.
    const rows = Array.from({ length: nSources }, (_, r) => r).filter((r) => wanted.has(nodes[r].position) && !(cfg.parallelResidual && nodes[r].layer === l));
    const X = new Float32Array(rows.length * D);
    rows.forEach((r, i) => normRead(nodes[r].out!, 0, gamma, norm, X, i * D));
    const U = units.length;
    const columns = async (W: tf.Tensor2D) => {
      const Wc = tf.tidy(() => tf.gather(W, units, 1)) as tf.Tensor2D;
      try {
        return await project(X, rows.length, D, Wc);
      } finally {
        Wc.dispose();
      }
    };
    const Yin = await columns(blk.mlp.in.weight);
    const Yg = blk.mlp.gate ? await columns(blk.mlp.gate.weight) : null;
    const pre = b(l, 'mlp.hook_pre');
    const lin = cfg.gatedMlp ? b(l, 'mlp.hook_pre_linear') : null;
    const byPos: number[][] = Array.from({ length: T }, () => []);
    rows.forEach((r, i) => byPos[nodes[r].position].push(i));
    for (const ni of targets) {
      const { index: n, position: t } = nodes[ni];
      const j = col.get(n)!;
      const g = pre[t * M + n];
      const rho = activationRatio(g, cfg.activation);
      for (const i of byPos[t]) {
        const y = s2[t] * Yin[i * U + j];
        // Ungated: ρ · d pre. Gated (half rule): ½ ρ_g · up · d gate + ½ act(gate) · d up.
        const weight = Yg ? 0.5 * rho * lin![t * M + n] * s2[t] * Yg[i * U + j] + 0.5 * rho * g * y : rho * y;
        edge(rows[i], ni, weight, 0);
      }
    }
  }

  /** Every node at the last position into the metric. */
  async function logitEdges(logitNode: number): Promise<void> {
    const p = T - 1;
    const m = o.metric;
    const E = unembedMatrix(w);
    let u: Float32Array;
    if (m.kind === 'logprob') {
      const V = cfg.vocabSize;
      const lg = cap.lastLogits;
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, lg[i]);
      const pr = new Float32Array(V);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += pr[i] = Math.exp(lg[i] - max);
      for (let i = 0; i < V; i++) pr[i] = -pr[i] / sum;
      pr[m.token] += 1;
      u = await values(tf.tidy(() => tf.matMul(tf.tensor2d(pr, [1, V]), E)));
    } else {
      const rowsU = await values(tf.tidy(() => tf.gather(E, m.kind === 'logit_diff' ? [m.token, m.distractor!] : [m.token])));
      u = rowsU.slice(0, D);
      if (m.kind === 'logit_diff') for (let d = 0; d < D; d++) u[d] -= rowsU[D + d];
    }
    const gamma = await values(tf.clone(w.lnFinal.weight));
    const sf = normScales(cap.act(`blocks.${L - 1}.hook_resid_post`), T, D, norm, eps)[p];
    const read = new Float32Array(D);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.position !== p || !n.out) continue;
      normRead(n.out, 0, gamma, norm, read, 0);
      edge(i, logitNode, sf * dot(read, 0, u, 0, D), 0);
    }
  }
}
