/**
 * The circuit-tracer export validates against the schema written from circuit-tracer's graph file format
 * (src/analysis/circuit-tracer-schema.ts), keeps the graph's nodes and links one to one, and follows the format's id
 * forms; the schema itself refuses what the viewers could not open.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributionGraph, type AttributionGraph } from '../../src/analysis/attribution-graph';
import { ctNodeId, toCircuitTracer } from '../../src/analysis/circuit-tracer-format';
import { circuitTracerGraphSchema } from '../../src/analysis/circuit-tracer-schema';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';

describe('circuit-tracer graph file', () => {
  let model: Model;
  let g: AttributionGraph;
  let diff: AttributionGraph;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir('polyglot');
    const ids = model.tokenizer!.encode('Der Hund ist gro');
    g = await attributionGraph(model, { ids, target: { kind: 'logit', token: model.tokenizer!.singleTokenId('ß')! } });
    diff = await attributionGraph(model, { ids, target: { kind: 'logit_diff', token: model.tokenizer!.singleTokenId('ß')!, distractor: model.tokenizer!.singleTokenId('s')! } });
  });
  afterAll(() => model.dispose());

  it('validates against the schema, node for node and link for link', () => {
    for (const graph of [g, diff]) {
      const file = toCircuitTracer(graph, { pinned: graph.nodes.filter((n) => n.kind === 'neuron').slice(0, 2).map((n) => n.id) });
      const r = circuitTracerGraphSchema.safeParse(file);
      expect(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 5))).toBe(true);
      // It survives JSON (what a viewer reads) unchanged.
      expect(circuitTracerGraphSchema.safeParse(JSON.parse(JSON.stringify(file))).success).toBe(true);
      expect(file.nodes).toHaveLength(graph.nodes.length);
      expect(file.links).toHaveLength(graph.edges.length);
      expect(file.metadata).toMatchObject({ scan: 'polyglot', prompt: 'Der Hund ist gro', prompt_tokens: graph.tokenStrings, node_threshold: 0.8, schema_version: 1 });
      expect(file.qParams.pinnedIds).toHaveLength(2);
      expect(file.qParams.clickedId).toBe(ctNodeId(graph.nodes.find((n) => n.kind === 'logit')!, graph.nLayer));
      for (const [i, e] of graph.edges.entries()) expect(file.links[i].weight).toBe(e.weight);
    }
  });

  it('maps node kinds to the format: embeddings in layer E, heads (lorsa) at 2L, neurons (transcoder) at 2L + 1, the logit above', () => {
    const file = toCircuitTracer(g);
    const L = g.nLayer;
    const byKind = (t: string) => file.nodes.filter((n) => n.feature_type === t);
    expect(byKind('embedding')).toHaveLength(g.tokens.length);
    for (const n of byKind('embedding')) expect(n).toMatchObject({ layer: 'E', node_id: `E_${g.tokens[n.ctx_idx]}_${n.ctx_idx}`, jsNodeId: `E_${g.tokens[n.ctx_idx]}-${n.ctx_idx}`, feature: n.ctx_idx });
    const logit = byKind('logit');
    expect(logit).toHaveLength(1);
    expect(logit[0]).toMatchObject({ layer: String(2 * L + 1), is_target_logit: true, token_prob: g.target.prob, ctx_idx: g.tokens.length - 1, feature: g.target.token });
    expect(logit[0].clerp).toMatch(/^Output "ß" \(p=0\.\d{3}\)/);
    for (const n of g.nodes) {
      const f = file.nodes.find((x) => x.node_id === ctNodeId(n, L))!;
      if (n.kind === 'neuron') expect(f).toMatchObject({ feature_type: 'cross layer transcoder', layer: String(2 * n.layer + 1), node_id: `${2 * n.layer + 1}_${n.index}_${n.position}`, activation: n.activation, influence: n.cumulative });
      if (n.kind === 'head') expect(f).toMatchObject({ feature_type: 'lorsa', layer: String(2 * n.layer), node_id: `${2 * n.layer}_${n.index}_${n.position}` });
      if (n.kind === 'mlp_rest') expect(f).toMatchObject({ feature_type: 'mlp reconstruction error', feature: -1, node_id: `${2 * n.layer + 1}_-1_${n.position}` });
      if (n.kind === 'attn_rest') expect(f).toMatchObject({ feature_type: 'lorsa error', feature: -1 });
      if (n.kind === 'neuron' || n.kind === 'head') expect(f.clerp).toContain(n.id);
    }
    expect(new Set(file.nodes.map((n) => n.jsNodeId)).size).toBeGreaterThan(g.tokens.length);
    expect(byKind('cross layer transcoder').length + byKind('lorsa').length).toBeGreaterThan(0);
  });

  it('the schema refuses files a viewer could not open', () => {
    const good = toCircuitTracer(g);
    const bad = (f: (x: any) => void) => {
      const x = JSON.parse(JSON.stringify(good));
      f(x);
      return circuitTracerGraphSchema.safeParse(x).success;
    };
    expect(bad(() => undefined)).toBe(true);
    expect(bad((x) => (x.links[0].target = 'nowhere'))).toBe(false);
    expect(bad((x) => delete x.metadata.prompt_tokens)).toBe(false);
    expect(bad((x) => delete x.qParams)).toBe(false);
    expect(bad((x) => (x.nodes[0].layer = 0))).toBe(false);
    expect(bad((x) => x.nodes.push(x.nodes[0]))).toBe(false);
    expect(bad((x) => (x.nodes[0].feature_type = 'neuron'))).toBe(false);
    expect(bad((x) => (x.nodes[0].nodeId = 'typo'))).toBe(false);
    expect(bad((x) => (x.links[0].weight = null))).toBe(false);
    expect(bad((x) => (x.nodes.find((n: any) => n.feature_type === 'logit').clerp = 'Output'))).toBe(false);
    expect(bad((x) => (x.nodes.find((n: any) => n.feature_type === 'logit').layer = '0'))).toBe(false);
    expect(bad((x) => (x.nodes[0].ctx_idx = 999))).toBe(false);
  });
});
