/** The attribution graph's data: the top neurons per layer that edges are computed between, and which edges are drawn. */
import { describe, expect, it } from 'vitest';
import type { AttributionResult } from '../../src/analysis/attribution';
import { graphFromAttribution, topNeuronsPerLayer } from '../../src/views/graph-data';

const scores = (rows: number[][]) => ({ shape: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) });
const result = {
  target: { kind: 'logit', token: 1, position: 1 },
  method: 'gxa',
  targetValue: 0,
  scores: {
    'blocks.0.mlp.hook_post': scores([[9, 9, 9, 9], [0.1, -3, 2, 0.5]]),
    'blocks.1.mlp.hook_post': scores([[9, 9, 9, 9], [-4, 0, 1, 0.2]]),
  },
} as unknown as AttributionResult;

describe('attribution graph data', () => {
  it('takes each layer’s neurons by |score| at the target position', () => {
    expect(topNeuronsPerLayer(result, 3, 2)).toEqual([[1, 2], [0, 2], []]);
  });
  it('draws the edges whose two ends are shown, and no others', () => {
    const edges = [
      { from: 'L0.N1@1', to: 'L1.N0@1', weight: 0.5 },
      { from: 'L0.N0@1', to: 'L1.N0@1', weight: 0.25 }, // L0.N0 is not among the top 2
    ];
    const g = graphFromAttribution(result, 2, 2, edges);
    expect(g.nodes.map((n) => n.id)).toEqual(['L0.N1@1', 'L0.N2@1', 'L1.N0@1', 'L1.N2@1']);
    expect(g.edges).toEqual([{ from: 'L0.N1@1', to: 'L1.N0@1', weight: 0.5, role: 'path' }]);
    expect(graphFromAttribution(result, 2, 2).edges).toEqual([]);
  });
});
