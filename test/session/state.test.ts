import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession } from '../../src/session/codec';
import { Session, VIEW_GRAPH_DEFAULTS } from '../../src/session/schema';
import { sessionToStore, storeToSession, type StoreFields } from '../../src/session/state';
import { session as arbSession } from './arbitraries';

const store: StoreFields = {
  modelRef: { kind: 'bundled', name: 'induction' },
  requestedBackend: 'wasm',
  prompt: 'qXf3Kd9LmPzR2wqXf3Kd9',
  target: { id: 40, token: 'L' },
  distractor: null,
  method: 'path',
  steps: 24,
  beam: 2,
  path: { some: 'result' },
  attribution: null,
  edits: [
    { id: 'e1', hook: 'blocks.1.mlp.hook_post', index: 17, op: 'zero', positions: [20], enabled: true, label: 'L1.N17@20 zero' },
    { id: 'e2', hook: 'blocks.0.hook_resid_post', index: null, op: 'add', value: 4, vector: [0.5, -0.5], positions: null, enabled: false },
  ],
  selected: 'L1.N17@20',
  tab: 'attention',
  viewLayer: 1,
  viewHead: 2,
  maxTokens: 30,
  temperature: 0.8,
  topK: 40,
  seed: 9,
};

describe('store ↔ session', () => {
  it('the store state becomes a valid session that survives a link', () => {
    const s = storeToSession(store);
    expect(Session.safeParse(s).success).toBe(true);
    expect(s).toMatchObject({ backend: 'wasm', target: { token: 40, kind: 'logit' }, method: { name: 'path', steps: 24, beam: 2, positions: 'target', ran: true }, selected: ['L1.N17@20'], view: { tab: 'attention', layer: 1, head: 2 } });
    expect(s.edits[0]).not.toHaveProperty('id');
    const d = decodeSession(encodeSession(s));
    expect(d.notices).toEqual([]);
    expect(d.session).toEqual(s);
  });

  it('and back: the patch restores the same fields (edit ids are new)', () => {
    const patch = sessionToStore(storeToSession(store), (id) => (id === 40 ? 'L' : '?'));
    expect(patch.target).toEqual({ id: 40, token: 'L' });
    expect(patch.edits.map(({ id: _i, ...e }) => e)).toEqual(store.edits.map(({ id: _i, ...e }) => e));
    expect(patch.edits.every((e) => typeof e.id === 'string')).toBe(true);
    expect(patch).toMatchObject({ modelRef: store.modelRef, requestedBackend: 'wasm', prompt: store.prompt, method: 'path', steps: 24, beam: 2, ran: true, selected: 'L1.N17@20', tab: 'attention', viewLayer: 1, viewHead: 2, maxTokens: 30, temperature: 0.8, topK: 40, seed: 9 });
  });

  it('the attribution graph on screen and its thresholds go into the link and come back; a link without them means none and the defaults', () => {
    const withGraph: StoreFields = { ...store, tab: 'circuit', circuitGraph: { nodes: [], edges: [] }, circuitNodeThreshold: 0.6, circuitEdgeThreshold: 0.9 };
    const s = storeToSession(withGraph);
    expect(s.view).toMatchObject({ tab: 'circuit', circuit: true, nodeThreshold: 0.6, edgeThreshold: 0.9 });
    const d = decodeSession(encodeSession(s));
    expect(d.notices).toEqual([]);
    expect(sessionToStore(d.session)).toMatchObject({ tab: 'circuit', circuitShown: true, circuitNodeThreshold: 0.6, circuitEdgeThreshold: 0.9 });
    // No graph, default thresholds: nothing in the link (an older link reads the same).
    const plain = storeToSession({ ...withGraph, circuitGraph: null, circuitNodeThreshold: 0.8, circuitEdgeThreshold: 0.98 });
    expect(plain.view).toEqual({ tab: 'circuit', layer: 1, head: 2 });
    expect(sessionToStore(decodeSession(encodeSession(plain)).session)).toMatchObject({ circuitShown: false, circuitNodeThreshold: 0.8, circuitEdgeThreshold: 0.98 });
    // Out of range: clamped, with a notice; not a boolean: left out.
    const bad = decodeSession(`json=${encodeURIComponent(JSON.stringify({ v: 2, view: { tab: 'circuit', layer: 0, head: 0, nodeThreshold: 7, circuit: 'yes' } }))}`);
    expect(bad.session.view.nodeThreshold).toBe(1);
    expect(bad.session.view.circuit).toBeUndefined();
    expect(bad.notices.length).toBe(2);
  });

  it('a distractor makes a logit_diff target', () => {
    const s = storeToSession({ ...store, distractor: { id: 41, token: 'M' } });
    expect(s.target).toEqual({ token: 40, kind: 'logit_diff', distractor: 41 });
    expect(sessionToStore(s).distractor).toEqual({ id: 41, token: '#41' });
  });

  it('a local model needs its fingerprint', () => {
    expect(() => storeToSession({ ...store, modelRef: { kind: 'local', name: 'mine' } })).toThrow(/fingerprint/);
    const fingerprint = { name: 'mine', size: 10, sha256: 'a'.repeat(64) };
    const s = storeToSession({ ...store, modelRef: { kind: 'local', name: 'mine', fingerprint } });
    expect(s.model).toEqual({ kind: 'local', fingerprint });
    expect(sessionToStore(s).modelRef).toEqual({ kind: 'local', name: 'mine', fingerprint });
  });

  it('session → store → session is the identity for sessions the store can hold', () => {
    fc.assert(
      fc.property(arbSession, (s) => {
        const patch = sessionToStore(s);
        // A store with several selected nodes passes them all (today's store keeps patch.selected, the first).
        const back = storeToSession({ ...patch, selected: patch.selectedAll });
        expect(storeToSession(patch).selected).toEqual(s.selected.slice(0, 1));
        // The store holds no backend "auto" (it means: none requested) and derives nothing else.
        const expected = { ...s };
        if (expected.backend === 'auto') delete expected.backend;
        const { zoom: _z, x: _x, y: _y, ...rest } = s.view;
        if (expected.view.zoom === undefined) expected.view = rest;
        else expected.view = { ...s.view, x: s.view.x ?? 0, y: s.view.y ?? 0 };
        // A threshold equal to its default is the same as none.
        for (const k of ['nodeThreshold', 'edgeThreshold'] as const) if (expected.view[k] === VIEW_GRAPH_DEFAULTS[k]) expected.view = { ...expected.view, [k]: undefined };
        expect(back).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
