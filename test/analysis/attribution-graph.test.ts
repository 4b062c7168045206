/**
 * The attribution graph on every architecture: structure (edges forward in read depth and never from a later
 * position, finite, the logit present), and each edge against an independent measurement — a central finite
 * difference of the downstream node's input when the source's output s · C(o) is added to the normalised input the
 * downstream node reads (`ln1`/`ln2`/`ln_final.hook_normalized`: exactly the frozen-scale change), and direct logit
 * attribution for edges into a logit.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributionCandidates, attributionGraph, nodeDepth, type AttributionGraphNode } from '../../src/analysis/attribution-graph';
import type { CandidateGraph } from '../../src/analysis/attribution-graph-edges';
import { activationRatio, normScales } from '../../src/analysis/attribution-graph-math';
import { directLogitAttribution } from '../../src/analysis/dla';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { parseNodeId } from '../../src/engine/nodeid';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit, HookName } from '../../src/engine/types';
import { ARCH_FIXTURES, fixtureDir } from '../engine/arch-fixtures';

const live = () => tf.memory().numTensors - cachedTensorCount();
const ids = [3, 77, 200, 12, 12, 150, 9, 77, 200, 31, 5, 12];
const EPS = 0.05;

/** The edges to check: into heads, neurons and the logit, the largest three of each kind and three others. */
function pick(c: CandidateGraph): number[] {
  const out: number[] = [];
  for (const kind of ['head', 'neuron', 'logit'] as const) {
    const es = c.src.map((_, e) => e).filter((e) => c.nodes[c.dst[e]].kind === kind);
    es.sort((a, b) => Math.abs(c.w[b]) - Math.abs(c.w[a]));
    out.push(...es.slice(0, 3), ...[0.3, 0.6, 0.9].map((f) => es[Math.floor(f * es.length)]).filter((e) => e !== undefined));
  }
  return [...new Set(out)];
}

describe.each(ARCH_FIXTURES)('attribution graph on %s', (fixture) => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  it('finite weights, edges from earlier read depth and earlier or equal positions, every embedding and the logit present', async () => {
    const before = live();
    const g = await attributionGraph(model, { ids, target: { kind: 'logit_diff', token: 7, distractor: 40 } });
    expect(live()).toBe(before);
    const L = model.config.nLayer;
    const byId = new Map<string, AttributionGraphNode>(g.nodes.map((n) => [n.id, n]));
    expect(byId.size).toBe(g.nodes.length);
    const logit = g.nodes.filter((n) => n.kind === 'logit');
    expect(logit).toHaveLength(1);
    expect(logit[0]).toMatchObject({ id: `logit@${ids.length - 1}`, index: 7, position: ids.length - 1, layer: L });
    expect(g.nodes.filter((n) => n.kind === 'embedding').map((n) => n.index)).toEqual(ids);
    expect(g.nodes.filter((n) => n.kind === 'neuron' || n.kind === 'head').length).toBeGreaterThan(0);
    expect(g.edges.length).toBeGreaterThan(0);
    expect(g.edges.some((e) => e.target === logit[0].id)).toBe(true);
    for (const e of g.edges) {
      const s = byId.get(e.source)!;
      const t = byId.get(e.target)!;
      expect(s && t, `${e.source} → ${e.target}`).toBeTruthy();
      expect(Number.isFinite(e.weight) && e.weight !== 0).toBe(true);
      expect(Number.isFinite(e.score) && e.score > 0).toBe(true);
      expect(nodeDepth(s.kind, s.layer, L), `${e.source} → ${e.target}`).toBeLessThan(nodeDepth(t.kind, t.layer, L));
      expect(s.position).toBeLessThanOrEqual(t.position);
      if (t.kind === 'neuron' || t.kind === 'logit') expect(s.position).toBe(t.position);
      if (model.config.parallelResidual && t.kind === 'neuron') expect(s.layer).toBeLessThan(t.layer);
      expect(s.kind).not.toBe('logit');
      expect(['embedding', 'attn_rest', 'mlp_rest']).not.toContain(t.kind);
    }
    for (const n of g.nodes) {
      expect(Number.isFinite(n.influence) && n.influence >= 0).toBe(true);
      if (n.kind === 'neuron' || n.kind === 'head') expect(parseNodeId(n.id)).toEqual({ kind: n.kind, layer: n.layer, index: n.index, position: n.position });
      // Kept neurons, heads and rest nodes have a kept outgoing edge; neurons and heads an incoming one.
      if (n.kind !== 'embedding' && n.kind !== 'logit') expect(g.edges.some((e) => e.source === n.id), n.id).toBe(true);
      if (n.kind === 'neuron' || n.kind === 'head') expect(g.edges.some((e) => e.target === n.id), n.id).toBe(true);
    }
    expect(g.stats.keptNodes).toBe(g.nodes.length);
    expect(g.stats.keptInfluence).toBeGreaterThan(0);
  });

  it('edges equal the finite difference of the downstream input with the norm scales frozen', async () => {
    const cfg = model.config;
    const { dModel: D, dMlp: M, nHead: H, dHead: dh, nLayer: L, vocabSize: V } = cfg;
    const T = ids.length;
    for (const kind of ['logit', 'logprob'] as const) {
      const { cand } = await attributionCandidates(model, { ids, target: { kind, token: 11 } });
      const edges = pick(cand);
      expect(edges.length).toBeGreaterThan(8);
      const capture: HookName[] = [`blocks.${L - 1}.hook_resid_post`];
      for (let l = 0; l < L; l++) capture.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.${cfg.parallelResidual ? 'hook_resid_pre' : 'hook_resid_mid'}`, `blocks.${l}.attn.hook_z`, `blocks.${l}.mlp.hook_pre`, ...(cfg.gatedMlp ? [`blocks.${l}.mlp.hook_pre_linear`] : []));
      const clean = await runModel(model, { inputIds: [ids], capture, logits: 'all' });
      const a = (h: string) => clean.activations[h].data;
      const plans = edges.map((e) => {
        const u = cand.nodes[cand.src[e]];
        const v = cand.nodes[cand.dst[e]];
        const j = u.position;
        const [hook, resid]: [string, string] =
          v.kind === 'head' ? [`blocks.${v.layer}.ln1.hook_normalized`, `blocks.${v.layer}.hook_resid_pre`]
          : v.kind === 'neuron' ? [`blocks.${v.layer}.ln2.hook_normalized`, `blocks.${v.layer}.${cfg.parallelResidual ? 'hook_resid_pre' : 'hook_resid_mid'}`]
          : ['ln_final.hook_normalized', `blocks.${L - 1}.hook_resid_post`];
        const s = normScales(a(resid), T, D, cfg.norm, cfg.layerNormEps)[j];
        const o = u.out!;
        const mean = cfg.norm === 'layernorm' ? o.reduce((x, y) => x + y, 0) / D : 0;
        const delta = Array.from(o, (x) => s * (x - mean));
        const len = Math.hypot(...delta);
        const dir = delta.map((x) => x / len);
        const edit = (sign: number): Edit => ({ hook, index: null, op: 'add', value: sign * EPS, vector: dir, positions: [j] });
        return { e, u, v, len, edits: [[edit(1)], [edit(-1)]] };
      });
      const r = await runModel(model, { inputIds: plans.flatMap(() => [ids, ids]), edits: plans.flatMap((p) => p.edits), capture: capture.filter((h) => /hook_z|hook_pre/.test(h)), logits: 'all' });
      const metric = (b: number) => {
        const row = r.logits!.data.subarray((b * T + T - 1) * V, (b * T + T) * V);
        if (kind === 'logit') return row[11];
        const max = Math.max(...row);
        return row[11] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      };
      plans.forEach((p, i) => {
        const { v } = p;
        const f = (b: number): number => {
          const t = v.position;
          if (v.kind === 'logit') return metric(b);
          if (v.kind === 'head') {
            const z0 = a(`blocks.${v.layer}.attn.hook_z`);
            const zb = r.activations[`blocks.${v.layer}.attn.hook_z`].data;
            const off = (t * H + v.index) * dh;
            const nz = Math.hypot(...z0.subarray(off, off + dh));
            let s = 0;
            for (let k = 0; k < dh; k++) s += (z0[off + k] / nz) * zb[b * T * H * dh + off + k];
            return s;
          }
          // Neurons: ρ · pre, or the half rule ½(ρ_g · up · gate + act(gate) · up) around the clean values.
          const pre0 = a(`blocks.${v.layer}.mlp.hook_pre`)[t * M + v.index];
          const pre = r.activations[`blocks.${v.layer}.mlp.hook_pre`].data[b * T * M + t * M + v.index];
          const rho = activationRatio(pre0, cfg.activation);
          if (!cfg.gatedMlp) return rho * pre;
          const up0 = a(`blocks.${v.layer}.mlp.hook_pre_linear`)[t * M + v.index];
          const up = r.activations[`blocks.${v.layer}.mlp.hook_pre_linear`].data[b * T * M + t * M + v.index];
          return 0.5 * rho * up0 * pre + 0.5 * rho * pre0 * up;
        };
        const fd = ((f(2 * i) - f(2 * i + 1)) / (2 * EPS)) * p.len;
        const w = cand.w[p.e];
        const scale = Math.max(...cand.src.map((_, e) => (cand.dst[e] === cand.dst[p.e] ? Math.abs(cand.w[e]) : 0)));
        expect(Math.abs(fd - w), `${kind}: ${p.u.kind} L${p.u.layer}@${p.u.position} → ${v.kind} L${v.layer}.${v.index}@${v.position}: ${w} vs finite difference ${fd}`).toBeLessThan(2e-3 * scale + 1e-5);
      });
    }
  });

  it('with attention "ov" the pattern is frozen: edges into heads lose exactly their qk part', async () => {
    const target = { kind: 'logit' as const, token: 11 };
    const full = (await attributionCandidates(model, { ids, target })).cand;
    const ov = (await attributionCandidates(model, { ids, target, attention: 'ov' })).cand;
    expect(ov.src).toEqual(full.src.filter((_, e) => full.w[e] - full.qk[e] !== 0 || full.nodes[full.dst[e]].kind !== 'head'));
    let k = 0;
    full.src.forEach((_, e) => {
      if (full.w[e] - full.qk[e] === 0 && full.nodes[full.dst[e]].kind === 'head') return;
      expect(ov.w[k]).toBeCloseTo(full.w[e] - full.qk[e], 5);
      expect(ov.qk[k++]).toBe(0);
    });
    expect(full.qk.some((x) => x !== 0)).toBe(true);
  });
});

describe('attribution graph completeness on a model without biases (llama-tiny)', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(fixtureDir('llama-tiny'));
  });
  afterAll(() => model.dispose());

  it('with the pattern frozen, a node’s incoming edges (candidates and rest) sum to its activation: post, |z|, the logit', async () => {
    const { cand, targetValue } = await attributionCandidates(model, { ids, target: { kind: 'logit', token: 11 }, attention: 'ov' });
    const sums = new Float64Array(cand.nodes.length);
    cand.src.forEach((_, e) => (sums[cand.dst[e]] += cand.w[e]));
    let checked = 0;
    cand.nodes.forEach((n, i) => {
      if (n.kind !== 'neuron' && n.kind !== 'head') return;
      expect(sums[i], `${n.kind} L${n.layer}.${n.index}@${n.position}`).toBeCloseTo(n.activation!, 4);
      checked++;
    });
    expect(checked).toBeGreaterThan(20);
    expect(sums[cand.logit]).toBeCloseTo(targetValue, 3);
  });
});

describe('attribution graph: logit edges, thresholds and requests (gpt2-tiny)', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir('gpt2-tiny');
  });
  afterAll(() => model.dispose());

  it('an edge into the logit is the source’s direct logit attribution (the same frozen final-norm scale)', async () => {
    const { cand } = await attributionCandidates(model, { ids, target: { kind: 'logit_diff', token: 7, distractor: 40 } });
    const dla = await directLogitAttribution(model, { ids, target: 7, distractor: 40 });
    const p = ids.length - 1;
    let checked = 0;
    cand.src.forEach((s, e) => {
      if (cand.dst[e] !== cand.logit) return;
      const u = cand.nodes[s];
      if (u.kind !== 'neuron' && u.kind !== 'head') return;
      const sc = dla.scores[`blocks.${u.layer}.${u.kind === 'neuron' ? 'mlp.hook_post' : 'attn.hook_z'}`];
      expect(cand.w[e]).toBeCloseTo(sc.data[p * sc.shape[1] + u.index], 4);
      checked++;
    });
    expect(checked).toBeGreaterThan(3);
  });

  it('lower thresholds and caps keep fewer nodes and edges; the defaults follow circuit-tracer', async () => {
    const target = { kind: 'logit' as const, token: 11 };
    const all = await attributionGraph(model, { ids, target, nodeThreshold: 1, edgeThreshold: 1, maxNodes: 100000, maxEdges: 100000 });
    const def = await attributionGraph(model, { ids, target });
    const small = await attributionGraph(model, { ids, target, nodeThreshold: 0.5, edgeThreshold: 0.8 });
    const capped = await attributionGraph(model, { ids, target, maxNodes: 5, maxEdges: 12 });
    expect(def.settings).toMatchObject({ nodeThreshold: 0.8, edgeThreshold: 0.98, maxNodes: 200 });
    expect(all.nodes.length).toBeGreaterThan(def.nodes.length);
    expect(def.nodes.length).toBeGreaterThan(small.nodes.length);
    expect(all.edges.length).toBeGreaterThan(def.edges.length);
    const internal = (g: typeof def) => g.nodes.filter((n) => n.kind !== 'embedding' && n.kind !== 'logit').length;
    expect(internal(capped)).toBeLessThanOrEqual(5);
    expect(capped.edges.length).toBeLessThanOrEqual(12);
    // A smaller graph is part of a larger one, and its nodes are the most influential ones.
    const allIds = new Set(all.nodes.map((n) => n.id));
    for (const n of small.nodes) expect(allIds.has(n.id), n.id).toBe(true);
    const smallest = Math.min(...small.nodes.filter((n) => n.kind === 'neuron' || n.kind === 'head').map((n) => n.influence));
    const above = all.nodes.filter((n) => (n.kind === 'neuron' || n.kind === 'head') && n.influence > smallest).map((n) => n.id);
    expect(above.filter((id) => !small.nodes.some((n) => n.id === id)).length).toBeLessThanOrEqual(above.length / 2);
  });

  it('refuses bad requests with the field named', async () => {
    await expect(attributionGraph(model, { ids, target: { kind: 'logit_diff', token: 7 } })).rejects.toThrow(/distractor/);
    await expect(attributionGraph(model, { ids, target: { kind: 'logit', token: 7 }, nodeThreshold: 1.5 })).rejects.toThrow(/nodeThreshold/);
    await expect(attributionGraph(model, { ids, target: { kind: 'logit', token: 7 }, maxNodes: 0 })).rejects.toThrow(/maxNodes/);
    await expect(attributionGraph(model, { ids, target: { kind: 'logit', token: 99999 } })).rejects.toThrow(/vocabulary/);
    await expect(attributionGraph(model, { ids: [], target: { kind: 'logit', token: 7 } })).rejects.toThrow(/empty/);
  });
});
