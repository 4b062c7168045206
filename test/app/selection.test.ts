/** Several selected nodes: the click rules, the edits for a selection, and one undo step for them. */
import { beforeEach, describe, expect, it } from 'vitest';
import { nextSelection, selectionEdits } from '../../src/app/selection-actions';
import { clearHistory, startHistory, undo, redo } from '../../src/store/history';
import { useStore } from '../../src/store/store';

describe('selection', () => {
  it('a plain click selects one node; shift/ctrl-click adds or removes one, the card following the last added', () => {
    expect(nextSelection(['L0.N1@2', 'L1.N4@2'], 'L2.H1@2', false)).toEqual({ selection: ['L2.H1@2'], selected: 'L2.H1@2' });
    expect(nextSelection(['L0.N1@2'], 'L1.N4@2', true)).toEqual({ selection: ['L0.N1@2', 'L1.N4@2'], selected: 'L1.N4@2' });
    expect(nextSelection(['L0.N1@2', 'L1.N4@2', 'L2.H1@2'], 'L2.H1@2', true)).toEqual({ selection: ['L0.N1@2', 'L1.N4@2'], selected: 'L1.N4@2' });
    expect(nextSelection(['L0.N1@2'], 'L0.N1@2', true)).toEqual({ selection: [], selected: null });
  });

  it('makes one edit per node on its own hook, unit and position; mean leaves heads out', () => {
    const sel = ['L0.N17@3', 'L1.H2@3', 'L3.N5'];
    const z = selectionEdits(sel, { op: 'zero' }, false);
    expect(z.skipped).toEqual([]);
    expect(z.edits.map((e) => e.edit)).toEqual([
      { hook: 'blocks.0.mlp.hook_post', index: 17, op: 'zero', positions: [3] },
      { hook: 'blocks.1.attn.hook_z', index: 2, op: 'zero', positions: [3] },
      { hook: 'blocks.3.mlp.hook_post', index: 5, op: 'zero', positions: null },
    ]);
    const c = selectionEdits(sel, { op: 'clamp', value: 2.5 }, true);
    expect(c.edits.map((e) => [e.edit.positions, e.edit.value, e.label])).toEqual([
      [null, 2.5, 'L0.N17@all clamp 2.5'],
      [null, 2.5, 'L1.H2@all clamp 2.5'],
      [null, 2.5, 'L3.N5@all clamp 2.5'],
    ]);
    const m = selectionEdits(sel, { op: 'mean' }, false);
    expect(m.skipped).toEqual(['L1.H2@3']);
    expect(m.edits.map((e) => e.edit.hook)).toEqual(['blocks.0.mlp.hook_post', 'blocks.3.mlp.hook_post']);
  });

  describe('history', () => {
    beforeEach(() => {
      startHistory();
      useStore.getState().set({ edits: [], selected: null, selection: [] });
      clearHistory();
    });
    it('edits for the whole selection are one undo step, and selections are undone with the nodes they held', () => {
      const st = () => useStore.getState();
      st().set({ selected: 'L0.N1@2', selection: ['L0.N1@2'] });
      st().set({ selected: 'L1.N4@2', selection: ['L0.N1@2', 'L1.N4@2'] });
      st().addEdits(selectionEdits(st().selection, { op: 'scale', value: -1 }, false).edits);
      expect(st().edits.map((e) => [e.hook, e.index, e.value])).toEqual([
        ['blocks.0.mlp.hook_post', 1, -1],
        ['blocks.1.mlp.hook_post', 4, -1],
      ]);
      expect(new Set(st().edits.map((e) => e.id)).size).toBe(2);
      undo();
      expect(st().edits).toEqual([]);
      expect(st().selection).toEqual(['L0.N1@2', 'L1.N4@2']);
      undo();
      expect(st().selection).toEqual(['L0.N1@2']);
      expect(st().selected).toBe('L0.N1@2');
      redo();
      redo();
      expect(st().edits).toHaveLength(2);
    });
  });
});
