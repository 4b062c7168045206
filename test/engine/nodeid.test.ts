import { describe, expect, it } from 'vitest';
import { formatNodeId, nodeFromHook, nodeHook, parseNodeId } from '../../src/engine/nodeid';

describe('NodeId', () => {
  it('round-trips neurons and heads, with and without a position', () => {
    for (const id of ['L2.N417@11', 'L0.H3@5', 'L3.N0', 'L1.H12']) expect(formatNodeId(parseNodeId(id))).toBe(id);
    expect(parseNodeId('L2.N417@11')).toEqual({ kind: 'neuron', layer: 2, index: 417, position: 11 });
  });
  it('maps nodes to hooks and back', () => {
    const n = parseNodeId('L1.H2@4');
    expect(nodeHook(n)).toBe('blocks.1.attn.hook_z');
    expect(nodeFromHook('blocks.1.attn.hook_z', 2, 4)).toEqual(n);
    expect(nodeFromHook('blocks.1.hook_resid_post', 2, 4)).toBeNull();
  });
  it('refuses malformed ids', () => {
    for (const bad of ['', 'L2N4', 'L2.X4@1', 'L-1.N2', 'L2.N4@', '<script>', 'L2.N4@1;x']) expect(() => parseNodeId(bad)).toThrow(/not a node id/);
  });
});
