/** Edges between top neurons of consecutive layers: finite differences, and the path search's own edges. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerEdges } from '../../src/analysis/layer-edges';
import { findPath } from '../../src/analysis/path';
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { loadModelDir } from '../../src/engine/node-load';
import { liveTensors, useBackend } from '../interventions/helpers';

// The trained polyglot model (4 layers, 512 neurons): a random init's edges are all near zero.
let model: Model;
beforeAll(async () => {
  await useBackend('cpu');
  model = await loadModelDir(join(import.meta.dirname, '..', '..', 'public', 'models', 'polyglot'));
});
afterAll(() => model.dispose());

let ids: number[] = [];
const p = 5;

/** act_l[p,i] · d act_{l+1}[p,j] / d act_l[p,i] by central differences of an add edit on the upstream neuron. */
async function numeric(l: number, i: number, j: number): Promise<number> {
  const up = `blocks.${l}.mlp.hook_post`;
  const down = `blocks.${l + 1}.mlp.hook_post`;
  const N = model.config.dMlp;
  const at = async (eps: number) => {
    const r = await runModel(model, { inputIds: [ids], capture: [up, down], edits: [{ hook: up, index: i, op: 'add', value: eps, positions: [p] }], logits: 'none' });
    return { down: r.activations[down].data[p * N + j], up: r.activations[up].data[p * N + i] - eps };
  };
  const eps = 1e-2;
  const [a, b] = [await at(eps), await at(-eps)];
  return a.up * ((a.down - b.down) / (2 * eps));
}

describe('layer edges', () => {
  beforeAll(() => {
    ids = model.tokenizer!.encode('Der Hund ist');
    expect(ids.length).toBeGreaterThan(6);
  });
  it('are activation × the derivative of the downstream neuron, as central differences give it', async () => {
    // The most active neurons at p in layers 0..2.
    const acts = await runModel(model, { inputIds: [ids], capture: [0, 1, 2].map((l) => `blocks.${l}.mlp.hook_post`), logits: 'none' });
    const N = model.config.dMlp;
    const neurons = [0, 1, 2].map((l) => {
      const a = acts.activations[`blocks.${l}.mlp.hook_post`].data.slice(p * N, (p + 1) * N);
      return Array.from(a.keys()).sort((x, y) => Math.abs(a[y]) - Math.abs(a[x])).slice(0, l === 1 ? 2 : 3);
    });
    const before = liveTensors();
    const edges = await layerEdges(model, { ids, neurons, position: p });
    expect(liveTensors()).toBe(before);
    expect(edges).toHaveLength(3 * 2 + 2 * 3);
    let checked = 0;
    for (const e of edges) {
      const [, l, i] = /^L(\d+)\.N(\d+)@/.exec(e.from)!.map(Number);
      const [, l2, j] = /^L(\d+)\.N(\d+)@/.exec(e.to)!.map(Number);
      expect(l2).toBe(l + 1);
      expect(e.from.endsWith(`@${p}`)).toBe(true);
      const want = await numeric(l, i, j);
      expect(Math.abs(e.weight - want)).toBeLessThan(2e-3 + 0.02 * Math.abs(want));
      checked++;
    }
    expect(checked).toBe(12);
    // Not all zero: the check means something.
    expect(Math.max(...edges.map((e) => Math.abs(e.weight)))).toBeGreaterThan(1e-3);
  });

  it('give the path search its own edges when asked for the path’s neurons', async () => {
    const r = await findPath(model, { ids, target: { kind: 'logit', token: model.tokenizer!.encode('g')[0], position: ids.length - 1 }, steps: 8 });
    const neurons = r.path.map((n) => [n.index]);
    const edges = await layerEdges(model, { ids, neurons, position: ids.length - 1 });
    expect(edges.map((e) => [e.from, e.to])).toEqual(r.edges.map((e) => [e.from, e.to]));
    edges.forEach((e, k) => expect(e.weight).toBeCloseTo(r.edges[k].weight, 5));
  });

  it('refuses positions and neurons that do not exist', async () => {
    await expect(layerEdges(model, { ids, neurons: [[0], [1]], position: ids.length })).rejects.toThrow(`edge position ${ids.length} is outside the prompt (0..${ids.length - 1})`);
    await expect(layerEdges(model, { ids, neurons: [[0], [512]], position: 1 })).rejects.toThrow('neuron 512 of layer 1 is out of range (0..511)');
  });
});
