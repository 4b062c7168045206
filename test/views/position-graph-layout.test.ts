/** The position graph's layout (no DOM): rows are positions with their tokens, columns read depth, no two nodes overlap. */
import { describe, expect, it } from 'vitest';
import type { AttributionGraph, AttributionGraphNode } from '../../src/analysis/attribution-graph-types';
import { DEFAULT_GRAPH_SETTINGS, graphNodeId, graphSettingsFromParams, graphSettingsToParams } from '../../src/analysis/attribution-graph-types';
import { columnLabel, layoutPositionGraph } from '../../src/views/position-graph-layout';

function node(kind: AttributionGraphNode['kind'], layer: number, index: number, position: number, influence: number): AttributionGraphNode {
  return { id: graphNodeId(kind, layer, index, position), kind, layer, index, position, activation: kind === 'neuron' ? 1 : null, gxa: 0, influence, cumulative: 0 };
}

const graph = (): AttributionGraph => {
  const nodes = [
    node('embedding', -1, 5, 0, 0.2),
    node('embedding', -1, 6, 1, 0.1),
    node('embedding', -1, 7, 2, 0),
    node('head', 0, 1, 1, 0.3),
    node('neuron', 0, 17, 2, 0.4),
    node('neuron', 0, 18, 2, 0.1),
    node('neuron', 0, 19, 2, 0.05),
    node('mlp_rest', 1, -1, 2, 0.2),
    node('logit', 2, 9, 2, 0),
  ];
  const e = (source: string, target: string, weight: number) => ({ source, target, weight, score: 0.1 });
  return {
    model: 'm', nLayer: 2, tokens: [5, 6, 7], tokenStrings: ['a', ' b', '\n'], prompt: 'a b\n',
    target: { kind: 'logit', token: 9, position: 2, value: 1, prob: 0.5, tokenString: 'x' },
    settings: DEFAULT_GRAPH_SETTINGS,
    nodes,
    edges: [e('E@0', 'L0.H1@1', 1), e('E@1', 'L0.H1@1', 0.5), e('L0.H1@1', 'L0.N17@2', 2), e('L0.N17@2', 'logit@2', -1), e('L0.N18@2', 'logit@2', 0.2), e('L0.N19@2', 'logit@2', 0.1), e('L1.mlp_rest@2', 'logit@2', 0.3)],
    stats: { candidates: 9, candidateEdges: 7, keptNodes: 9, keptEdges: 7, keptInfluence: 1, ms: 0 },
  };
};

describe('position graph layout', () => {
  it('one row per position with a drawn node, token labels made visible, columns by read depth', () => {
    const L = layoutPositionGraph(graph(), 900);
    expect(L.rows.map((r) => r.label)).toEqual(['0 a', '1 ·b', '2 ↵']);
    expect(L.columns.map((c) => c.label)).toEqual(['emb', 'L0 attn', 'L0 mlp', 'L1 attn', 'L1 mlp', 'logit']);
    expect(columnLabel(3, 2)).toBe('L1 attn');
    // The embedding at position 2 has no edge: not drawn.
    expect(L.byId.has('E@2')).toBe(false);
    expect(L.nodes).toHaveLength(8);
    const at = (id: string) => L.byId.get(id)!;
    expect(at('L0.H1@1').y).toBe(L.rows[1].y);
    expect(at('L0.H1@1').x).toBe(L.columns[1].x);
    expect(at('logit@2').x).toBe(L.columns[5].x);
    expect(at('L1.mlp_rest@2').x).toBe(L.columns[4].x);
    // Three neurons in one cell: side by side, the most influential first (leftmost), none overlapping.
    const cell = ['L0.N17@2', 'L0.N18@2', 'L0.N19@2'].map(at);
    expect(cell[0].x).toBeLessThan(cell[1].x);
    expect(cell[1].x).toBeLessThan(cell[2].x);
    for (let i = 0; i + 1 < cell.length; i++) expect(cell[i + 1].x - cell[i].x).toBeGreaterThanOrEqual(cell[i].r + cell[i + 1].r - 1e-9);
    expect(cell[0].r).toBeGreaterThan(cell[2].r);
    expect(L.width).toBeGreaterThan(L.columns[5].x);
    expect(L.height).toBeGreaterThan(L.rows[2].y);
  });

  it('graph settings survive a share link', () => {
    const s = { ...DEFAULT_GRAPH_SETTINGS, nodeThreshold: 0.6, maxNodes: 50, attention: 'ov' as const };
    const p = new URLSearchParams(graphSettingsToParams(s));
    expect(graphSettingsFromParams((k) => p.get(k))).toEqual(s);
    expect(graphSettingsFromParams(() => 'junk')).toEqual(DEFAULT_GRAPH_SETTINGS);
  });
});
