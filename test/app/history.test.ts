import { beforeEach, describe, expect, it } from 'vitest';
import { clearHistory, redo, startHistory, undo } from '../../src/store/history';
import { useStore } from '../../src/store/store';

const edit = (index: number) => ({ hook: 'blocks.0.mlp.hook_post', index, op: 'zero' as const, positions: null });

describe('one undo/redo history for edits and selections', () => {
  beforeEach(() => {
    startHistory();
    useStore.getState().set({ edits: [], selected: null });
    clearHistory();
  });
  it('undoes and redoes adds, toggles, removals, clears and selections in order', () => {
    const st = () => useStore.getState();
    st().addEdit(edit(1));
    st().addEdit(edit(2));
    const id = st().edits[0].id;
    st().toggleEdit(id);
    st().set({ selected: 'L0.N5@2' });
    st().removeEdit(st().edits[1].id);
    st().clearEdits();
    expect(st().edits).toEqual([]);
    undo(); // clear
    expect(st().edits.map((e) => e.index)).toEqual([1]);
    undo(); // remove
    expect(st().edits.map((e) => e.index)).toEqual([1, 2]);
    undo(); // selection
    expect(st().selected).toBeNull();
    undo(); // toggle
    expect(st().edits[0].enabled).toBe(true);
    redo();
    expect(st().edits[0].enabled).toBe(false);
    redo();
    expect(st().selected).toBe('L0.N5@2');
    // A new action after undo drops the redo branch.
    undo();
    st().addEdit(edit(9));
    expect(redo()).toBeNull();
    expect(st().edits.map((e) => e.index)).toEqual([1, 2, 9]);
  });
});
