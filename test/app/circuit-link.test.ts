import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession } from '../../src/session/codec';
import { sessionToStore, storeToSession } from '../../src/session/state';
import { useStore } from '../../src/store/store';

describe('the attribution graph in the app store ↔ a link', () => {
  it('a built graph, its thresholds and the tab survive store → link → store; without a graph the link asks for none', () => {
    const graph = { nodes: [{ id: 'E@0' }], edges: [] } as never;
    useStore.getState().set({ prompt: 'Xq3fK9aZXq3fK', tab: 'circuit', circuitGraph: graph, circuitNodeThreshold: 0.7, circuitEdgeThreshold: 0.95, target: { id: 9, token: '9' } });
    const link = encodeSession(storeToSession(useStore.getState()));
    const back = sessionToStore(decodeSession(link).session);
    expect(back).toMatchObject({ prompt: 'Xq3fK9aZXq3fK', tab: 'circuit', circuitShown: true, circuitNodeThreshold: 0.7, circuitEdgeThreshold: 0.95, target: { id: 9 } });
    useStore.getState().set({ circuitGraph: null });
    expect(sessionToStore(decodeSession(encodeSession(storeToSession(useStore.getState()))).session).circuitShown).toBe(false);
  });
});
