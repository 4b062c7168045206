import { describe, expect, it } from 'vitest';
import { CLASS_PATH_METHODS, classNeuronMatrix, classOverlap, type ClassNeuronMatrix, type ClassPathMethod, type Overlap } from '../../src/analysis/class-path-stats';
import { classMatrixData, overlapRows, type ClassPathsShape } from '../../src/views/class-matrix-data';

/** Hand-made paths (neuron per layer, 3 layers) of images of classes 0, 1 and 2; the baselines use other paths. */
const images: Array<{ label: number; neurons: Record<ClassPathMethod, number[]> }> = [
  { label: 0, neurons: { neuronpath: [5, 7, 1], activation: [0, 0, 0], layer_ig: [5, 7, 1], gxa: [5, 7, 2] } },
  { label: 0, neurons: { neuronpath: [5, 3, 1], activation: [0, 0, 0], layer_ig: [5, 3, 1], gxa: [5, 3, 2] } },
  { label: 1, neurons: { neuronpath: [2, 7, 9], activation: [0, 0, 1], layer_ig: [2, 7, 9], gxa: [2, 7, 9] } },
  { label: 1, neurons: { neuronpath: [2, 7, 1], activation: [0, 0, 1], layer_ig: [2, 7, 1], gxa: [2, 7, 1] } },
  { label: 2, neurons: { neuronpath: [11, 3, 9], activation: [1, 0, 1], layer_ig: [11, 3, 9], gxa: [11, 3, 9] } },
];

function shape(positions: number[]): ClassPathsShape {
  const per = (f: (m: ClassPathMethod) => unknown) => Object.fromEntries(CLASS_PATH_METHODS.map((m) => [m, f(m)]));
  return {
    positions,
    labels: ['zero', 'one', 'two', 'three'],
    resamples: 200,
    matrices: per((m) => classNeuronMatrix(images.map((p) => ({ label: p.label, neurons: p.neurons[m] })))) as Record<ClassPathMethod, ClassNeuronMatrix>,
    overlap: per((m) => classOverlap(images.map((p) => ({ label: p.label, neurons: p.neurons[m] })), 200, 1)) as Record<ClassPathMethod, Overlap>,
  };
}

describe('classMatrixData', () => {
  it('rows are the classes by label; columns every unit on some path, by layer then neuron, in one group per layer', () => {
    const d = classMatrixData(shape(Array.from({ length: 17 }, (_, i) => i)), 'neuronpath');
    expect(d.rows).toEqual([
      { class: 0, label: 'zero', images: 2 },
      { class: 1, label: 'one', images: 2 },
      { class: 2, label: 'two', images: 1 },
    ]);
    expect(d.columns.map((c) => c.label)).toEqual(['L0.N2', 'L0.N5', 'L0.N11', 'L1.N3', 'L1.N7', 'L2.N1', 'L2.N9']);
    // Paths at every token: the node selected for a column has no position.
    expect(d.columns.map((c) => c.node)).toEqual(d.columns.map((c) => c.label));
    expect(d.groups).toEqual([
      { layer: 0, start: 0, count: 3 },
      { layer: 1, start: 3, count: 2 },
      { layer: 2, start: 5, count: 2 },
    ]);
    // Every column in exactly one group, and of that group's layer.
    const covered = d.groups.flatMap((g) => Array.from({ length: g.count }, (_, i) => g.start + i));
    expect(covered).toEqual(d.columns.map((_, i) => i));
    for (const g of d.groups) for (let i = g.start; i < g.start + g.count; i++) expect(d.columns[i].layer).toBe(g.layer);
  });

  it('each cell counts the class’s images whose path holds the unit; its share divides by the class’s images', () => {
    const d = classMatrixData(shape([0]), 'neuronpath');
    d.rows.forEach((row, r) =>
      d.columns.forEach((col, c) => {
        const n = images.filter((p) => p.label === row.class && p.neurons.neuronpath[col.layer] === col.index).length;
        expect(d.counts[r][c], `${row.label} ${col.label}`).toBe(n);
        expect(d.share[r][c]).toBeCloseTo(n / row.images, 12);
      }),
    );
    // Each row's shares sum to the layers (one neuron per layer per path).
    for (const s of d.share) expect(s.reduce((a, x) => a + x, 0)).toBeCloseTo(3, 12);
    // Paths at [CLS] only: the selected node sits at that token.
    expect(d.columns[0].node).toBe('L0.N2@0');
  });

  it('another method shows its own columns; the selected node’s column is found at any position', () => {
    const d = classMatrixData(shape([0]), 'activation', 'L2.N1');
    expect(d.method).toBe('activation');
    expect(d.columns.map((c) => c.label)).toEqual(['L0.N0', 'L0.N1', 'L1.N0', 'L2.N0', 'L2.N1']);
    expect(d.selectedColumn).toBe(4);
    expect(classMatrixData(shape([0]), 'activation', 'L2.N1@0').selectedColumn).toBe(4);
    expect(classMatrixData(shape([0]), 'activation', 'L2.N7').selectedColumn).toBeNull();
    expect(classMatrixData(shape([0]), 'activation', null).selectedColumn).toBeNull();
  });

  it('overlapRows: every method, NeuronPath first, with its figures and the p-value in words', () => {
    const s = shape([0]);
    const rows = overlapRows(s);
    expect(rows.map((r) => r.method)).toEqual(['neuronpath', 'activation', 'layer_ig', 'gxa']);
    expect(rows[0].label).toBe('NeuronPath');
    expect(rows[0].within).toBe(s.overlap.neuronpath.within);
    expect(rows[0].ci95).toEqual(s.overlap.neuronpath.ci95);
    for (const r of rows) expect(r.pText).toMatch(r.p <= 1 / 201 + 1e-12 ? /^< 0\.005 \(0 of 200\)$/ : /^\d\.\d+(e-\d+)?$/);
    expect(overlapRows({ ...s, overlap: { ...s.overlap, gxa: { ...s.overlap.gxa, pPermutation: 1 / 201 } } })[3].pText).toBe('< 0.005 (0 of 200)');
  });
});
