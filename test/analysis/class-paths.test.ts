import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classNeuronMatrix, classOverlap, classPaths, type ClassPathsResult } from '../../src/analysis/class-paths';
import { faithfulness } from '../../src/analysis/faithfulness';
import { findPath } from '../../src/analysis/path';
import { softmaxAt } from '../../src/analysis/targets';
import { batchInputs } from '../../src/engine/inputs';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { heldOutImages } from '../../src/cli/commands/classpaths';
import { FIXTURE_DIR } from '../engine/fixture';

/** Class-level paths on digits-vit (3 held-out digits of each of 3 classes), checked against paths found one by one. */
let model: Model;
const images = heldOutImages(3).filter((im) => im.label < 3);
let r: ClassPathsResult;

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = await loadModelDir('digits-vit');
  r = await classPaths(model, images, { steps: 4, resamples: 200 });
}, 120_000);
afterAll(() => model?.dispose());

/** Brute-force overlap: shared node ids / layers, averaged over pairs of the same and of different labels. */
function bruteOverlap(paths: Array<{ label: number; nodes: string[] }>) {
  const w: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < paths.length; i++)
    for (let j = i + 1; j < paths.length; j++) {
      const shared = paths[i].nodes.filter((n) => paths[j].nodes.includes(n)).length / paths[i].nodes.length;
      (paths[i].label === paths[j].label ? w : b).push(shared);
    }
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return { within: mean(w), between: mean(b), wp: w.length, bp: b.length };
}

describe('classPaths on digits-vit', () => {
  it('each image’s path is findPath’s for its label at every token; counts and overlaps match an independent tally', async () => {
    expect(r.positions).toEqual(Array.from({ length: 17 }, (_, i) => i));
    const independent: Array<{ label: number; nodes: string[]; act: string[] }> = [];
    for (const im of images) {
      const p = await findPath(model, { ids: im.pixels, target: { kind: 'logit', token: im.label }, steps: 4, positions: 'all', runnersUp: 0 });
      independent.push({ label: im.label, nodes: p.path.map((n) => n.node), act: p.baselines.activation.map((n) => n.node) });
    }
    expect(r.images.map((i) => i.paths.neuronpath)).toEqual(independent.map((p) => p.nodes));
    expect(r.images.map((i) => i.paths.activation)).toEqual(independent.map((p) => p.act));
    // Node ids at every token carry no position.
    for (const p of independent) for (const n of p.nodes) expect(n).toMatch(/^L\d\.N\d+$/);
    // The matrix: for every class and node, the number of that class's images whose path holds the node.
    const ids = [...new Set(independent.flatMap((p) => p.nodes))];
    expect([...r.matrix.neurons].sort()).toEqual([...ids].sort());
    expect(r.matrix.classes).toEqual([0, 1, 2]);
    expect(r.matrix.images).toEqual([3, 3, 3]);
    r.matrix.classes.forEach((c, ci) =>
      r.matrix.neurons.forEach((id, j) => expect(r.matrix.counts[ci][j], `${c} ${id}`).toBe(independent.filter((p) => p.label === c && p.nodes.includes(id)).length)),
    );
    const o = bruteOverlap(independent);
    expect(r.overlap.neuronpath.within).toBeCloseTo(o.within, 12);
    expect(r.overlap.neuronpath.between).toBeCloseTo(o.between, 12);
    expect([r.overlap.neuronpath.withinPairs, r.overlap.neuronpath.betweenPairs]).toEqual([9, 27]);
    const a = bruteOverlap(independent.map((p) => ({ label: p.label, nodes: p.act })));
    expect(r.overlap.activation.within).toBeCloseTo(a.within, 12);
    expect(r.overlap.activation.between).toBeCloseTo(a.between, 12);
  }, 120_000);

  it('faithfulness on images: removal Δp of NeuronPath equals an engine run with its neurons scaled by 0 at every token', async () => {
    const two = images.slice(0, 2);
    const f = await faithfulness(model, two.map((im) => ({ ids: im.pixels, token: im.label })), { steps: 4, positions: 'all', randomPaths: 2, bootstrap: 50 });
    for (let i = 0; i < two.length; i++) {
      const path = r.images[i].neurons.neuronpath;
      const px = batchInputs([two[i].pixels]);
      const clean = await runModel(model, { ...px, logits: 'last' });
      const edits = path.map((n, l) => ({ hook: `blocks.${l}.mlp.hook_post`, index: n, op: 'scale' as const, value: 0, positions: r.positions }));
      const cut = await runModel(model, { ...px, edits: [edits], logits: 'last' });
      const p0 = softmaxAt(clean.logits!.data, 0, 10, two[i].label);
      expect(f.rows[i].pClean).toBeCloseTo(p0, 6);
      expect(f.rows[i].paths!.neuronpath).toEqual(r.images[i].paths.neuronpath);
      expect(f.rows[i].delta.neuronpath.remove).toBeCloseTo(softmaxAt(cut.logits!.data, 0, 10, two[i].label) - p0, 6);
    }
  }, 120_000);

  it('refuses a text model, too few images and a label outside the classes', async () => {
    const text = await loadModelDir(FIXTURE_DIR);
    try {
      await expect(classPaths(text, images)).rejects.toThrow(/need an image classifier; this gpt2 model reads text/);
    } finally {
      text.dispose();
    }
    await expect(classPaths(model, images.slice(0, 1))).rejects.toThrow(/at least 2 images are needed \(got 1\)/);
    await expect(classPaths(model, [images[0], { ...images[1], label: 12 }])).rejects.toThrow(/label 12 is not a class of the model \(0\.\.9\)/);
  });
});

describe('classOverlap and classNeuronMatrix on hand-made paths', () => {
  it('identical paths within classes and disjoint between: within 1, between 0, permutation p at its floor', () => {
    const paths = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2].map((label) => ({ label, neurons: [label, 10 + label, 20 + label] }));
    const o = classOverlap(paths, 500, 3);
    expect([o.within, o.between, o.diff]).toEqual([1, 0, 1]);
    expect(o.withinPairs).toBe(3 * 6);
    expect(o.betweenPairs).toBe(66 - 18);
    expect(o.ci95).toEqual([1, 1]);
    // 12!/(4!)^3 = 34650 labelings, 6 of which (relabelings) reach the observed separation: p ≈ 1/501.
    expect(o.pPermutation).toBeLessThan(0.01);
    expect(o.perClass).toEqual([1, 1, 1]);
  });

  it('partial overlaps: the hand-computed means, an interval around the difference, and no signal when labels do not matter', () => {
    const paths = [
      { label: 0, neurons: [1, 2] },
      { label: 0, neurons: [1, 3] },
      { label: 1, neurons: [1, 4] },
      { label: 1, neurons: [5, 4] },
    ];
    const o = classOverlap(paths, 400, 5);
    // Within: (0,1) shares layer 0, (2,3) shares layer 1 → 0.5 each. Between: (0,2) 0.5, (0,3) 0, (1,2) 0.5, (1,3) 0.
    expect(o.within).toBeCloseTo(0.5, 12);
    expect(o.between).toBeCloseTo(0.25, 12);
    expect(o.ci95[0]).toBeLessThanOrEqual(o.ci95[1]);
    const same = Array.from({ length: 20 }, (_, i) => ({ label: i % 2, neurons: [7, 8] }));
    const s = classOverlap(same, 300, 2);
    expect(s.diff).toBe(0);
    expect(s.pPermutation).toBe(1);
    const m = classNeuronMatrix(paths);
    expect(m.neurons).toEqual(['L0.N1', 'L0.N5', 'L1.N2', 'L1.N3', 'L1.N4']);
    expect(m.counts).toEqual([
      [2, 0, 1, 1, 0],
      [1, 1, 0, 0, 2],
    ]);
  });
});
