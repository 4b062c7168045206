/** Overlays on the attribution graph (a NeuronPath path, a patching result) and the patching exports, as plain data. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributionGraph, type AttributionGraph } from '../../src/analysis/attribution-graph';
import { pathOverlay, patchOverlay } from '../../src/analysis/graph-overlays';
import { findPath } from '../../src/analysis/path';
import { patch } from '../../src/analysis/patching';
import { patchingCsv, patchingJson } from '../../src/analysis/patching-export';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';

describe('graph overlays (gpt2-tiny)', () => {
  let model: Model;
  let g: AttributionGraph;
  const ids = [3, 77, 200, 12, 12, 150, 9, 77];
  const target = { kind: 'logit' as const, token: 11 };
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir('gpt2-tiny');
    g = await attributionGraph(model, { ids, target, nodeThreshold: 0.95, maxNodes: 400 });
  });
  afterAll(() => model.dispose());

  it('a path marks its nodes at their position (or every position) and the kept edges between consecutive ones', async () => {
    const r = await findPath(model, { ids, target, steps: 4 });
    const o = pathOverlay(g, r);
    const ids0 = new Set(g.nodes.map((n) => n.id));
    for (const id of o.nodes) expect(ids0.has(id)).toBe(true);
    expect(o.nodes.length + o.missing.length).toBeGreaterThanOrEqual(r.path.length);
    for (const p of r.path) expect(o.nodes.includes(p.node) || o.missing.includes(p.node)).toBe(true);
    // A path made of two kept neurons joined by a kept edge: both marked, the edge too; all-position path nodes match any position.
    const e = g.edges.find((x) => /^L0\.N/.test(x.source) && /^L1\.N/.test(x.target));
    expect(e).toBeDefined();
    {
      const [a, b] = [e!.source, e!.target].map((id) => g.nodes.find((n) => n.id === id)!);
      const fake = { path: [a, b].map((n) => ({ hook: `blocks.${n.layer}.mlp.hook_post`, index: n.index, position: n.position, score: 0, node: n.id })) };
      expect(pathOverlay(g, fake)).toEqual({ nodes: [a.id, b.id], edges: [[a.id, b.id]], missing: [] });
      const anyPos = pathOverlay(g, { path: [{ hook: `blocks.${a.layer}.mlp.hook_post`, index: a.index, position: null, score: 0, node: `L${a.layer}.N${a.index}` }] });
      expect(anyPos.nodes).toContain(a.id);
    }
    expect(pathOverlay(g, { path: [{ hook: 'blocks.0.mlp.hook_post', index: 255, position: 0, score: 0, node: 'L0.N255@0' }] }).missing).toEqual(['L0.N255@0']);
  });

  it('a patching result scores the graph’s neurons, heads and embeddings at their positions', async () => {
    const corrupted = [3, 77, 201, 12, 12, 150, 9, 77];
    const r = await patch(model, { clean: ids, corrupted, target: 11, method: 'atp' });
    const o = patchOverlay(g, r);
    expect(o).toMatchObject({ metric: 'logit', method: 'atp', direction: 'denoising' });
    let checked = 0;
    for (const n of g.nodes) {
      const v = o.scores[n.id];
      if (n.kind === 'neuron') expect(v).toBe(r.scores[`blocks.${n.layer}.mlp.hook_post`].data[n.position * 256 + n.index]);
      else if (n.kind === 'head') expect(v).toBe(r.scores[`blocks.${n.layer}.attn.hook_z`].data[n.position * 4 + n.index]);
      else if (n.kind === 'embedding') expect(v).toBe(r.scores['blocks.0.hook_resid_pre'].data[n.position]);
      else expect(v).toBeUndefined();
      if (v !== undefined) checked++;
    }
    expect(checked).toBeGreaterThan(ids.length);
    expect(o.maxAbs).toBe(Math.max(...Object.values(o.scores).map(Math.abs)));
    // The exports: CSV rows for every unit and position, JSON with the scores.
    const csv = patchingCsv(r, { model: 'gpt2-tiny', clean: ids, corrupted }).trim().split('\n');
    const header = csv.indexOf('hook,layer,position,unit,node,score');
    expect(header).toBe(4);
    const rows = csv.slice(header + 1);
    expect(rows).toHaveLength(Object.values(r.scores).reduce((s, t) => s + t.shape[1] * r.positions.length, 0));
    const row = rows.find((l) => l.startsWith('blocks.1.attn.hook_z,1,3,2,'))!;
    expect(row.split(',')[4]).toBe('L1.H2@3');
    expect(Number(row.split(',')[5])).toBe(r.scores['blocks.1.attn.hook_z'].data[3 * 4 + 2]);
    const json = JSON.parse(JSON.stringify(patchingJson(r, { model: 'gpt2-tiny' })));
    expect(json.scores['blocks.0.mlp.hook_post'].shape).toEqual([8, 256]);
    expect(json).toMatchObject({ model: 'gpt2-tiny', metric: 'logit', method: 'atp', clean_metric: r.cleanMetric });
  });
});
