import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeFragment, encodeV1Fields } from '../../src/session/codec';
import { normalizeSession } from '../../src/session/normalize';
import { Session, SessionV1, type SessionV1 as SessionV1T } from '../../src/session/schema';
import { sessionV1 } from './arbitraries';

describe('v1 → v2 migration', () => {
  it('a v1 link opens as the equivalent v2 session', () => {
    const v1: SessionV1T = {
      v: 1,
      model: 'induction',
      prompt: 'qXf3Kd9',
      target: 17,
      distractor: 4,
      method: 'ig',
      steps: 32,
      beam: 2,
      positions: 'last',
      layer: 1,
      edits: [
        { hook: 'blocks.1.mlp.hook_post', index: 12, op: 'zero', positions: [6] },
        { hook: 'blocks.0.attn.hook_z', index: 3, op: 'scale', value: -1, positions: null, off: true },
      ],
      selected: 'L1.N12@6',
      tab: 'attention',
      maxTokens: 10,
      temperature: 0.7,
      topK: 5,
      seed: 3,
    };
    const f = encodeV1Fields(v1);
    expect(f.startsWith('s1.')).toBe(true);
    const d = decodeSession(f);
    expect(d.notices).toEqual([]);
    expect(d.session).toEqual({
      v: 2,
      model: { kind: 'bundled', name: 'induction' },
      prompt: 'qXf3Kd9',
      target: { token: 17, kind: 'logit_diff', distractor: 4 },
      method: { name: 'ig', steps: 32, beam: 2, positions: 'target', layer: 1, ran: false },
      edits: [
        { hook: 'blocks.1.mlp.hook_post', index: 12, op: 'zero', positions: [6], enabled: true },
        { hook: 'blocks.0.attn.hook_z', index: 3, op: 'scale', value: -1, positions: null, enabled: false },
      ],
      selected: ['L1.N12@6'],
      view: { tab: 'attention', layer: 0, head: 0 },
      generation: { maxTokens: 10, temperature: 0.7, topK: 5, seed: 3 },
    });
  });

  it('v1 defaults are v1 defaults: an empty v1 link is the default session', () => {
    const d = decodeSession(encodeFragment(1, {}));
    expect(d.notices).toEqual([]);
    expect(d.session.model).toEqual({ kind: 'bundled', name: 'polyglot' });
    expect(d.session.method.positions).toBe('target');
  });

  it('modelUrl becomes a url model; a v1 object (stored or imported) migrates too', () => {
    const n = normalizeSession({ v: 1, model: 'polyglot', modelUrl: 'https://example.org/m/', prompt: 'a', method: 'path', steps: 20, beam: 1, positions: 'all', edits: [], maxTokens: 40, temperature: 0, topK: 0, seed: 1 });
    expect(n.notices).toEqual([]);
    expect(n.session.model).toEqual({ kind: 'url', url: 'https://example.org/m/' });
    expect(n.session.method.positions).toBe('all');
  });

  it('any valid v1 session migrates to a valid v2 session without notices, keeping its content', () => {
    fc.assert(
      fc.property(sessionV1, (v1) => {
        expect(SessionV1.safeParse(v1).success).toBe(true);
        const d = decodeSession(encodeV1Fields(v1));
        expect(d.notices).toEqual([]);
        const s = d.session;
        expect(Session.safeParse(s).success).toBe(true);
        expect(s.prompt).toBe(v1.prompt);
        expect(s.model).toEqual(v1.modelUrl !== undefined ? { kind: 'url', url: v1.modelUrl } : { kind: 'bundled', name: v1.model });
        expect(s.method.name).toBe(v1.method);
        expect(s.method.positions).toBe(v1.positions === 'last' ? 'target' : v1.positions);
        expect(s.target?.token).toBe(v1.target);
        if (v1.target !== undefined) expect(s.target?.kind).toBe(v1.distractor !== undefined ? 'logit_diff' : 'logit');
        expect(s.edits.map((e) => e.enabled)).toEqual(v1.edits.map((e) => !e.off));
        expect(s.edits.map(({ enabled: _e, ...rest }) => rest)).toEqual(v1.edits.map(({ off: _o, ...rest }) => rest));
        expect(s.selected).toEqual(v1.selected === undefined ? [] : [v1.selected]);
        expect(s.generation).toEqual({ maxTokens: v1.maxTokens, temperature: v1.temperature, topK: v1.topK, seed: v1.seed });
      }),
      { numRuns: 200 },
    );
  });

  it('bad v1 fields fall back field by field, unknown v1 fields are reported', () => {
    const d = decodeSession(encodeFragment(1, { prompt: 'keep me', steps: 9999, method: 'telepathy', tab: 'x', edits: [{ hook: 'nope', index: 1, op: 'zero', positions: null }], wat: 1 }));
    expect(d.session.prompt).toBe('keep me');
    expect(d.session.method.steps).toBe(256);
    expect(d.session.method.name).toBe('path');
    expect(d.session.view.tab).toBe('graph');
    expect(d.session.edits).toEqual([]);
    expect(d.notices.length).toBe(5);
    expect(d.notices[0]).toMatch(/unknown field "wat" of an older \(v1\) link/);
  });
});
