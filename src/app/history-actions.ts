import { parseNodeId } from '../engine/nodeid';
import { redo, undo } from '../store/history';
import { useStore } from '../store/store';
import { selectNode } from './controller';

/** Reopens the card of the node an undo or redo selected. */
export function stepHistory(dir: 'undo' | 'redo'): void {
  const before = useStore.getState().selected;
  const snap = dir === 'undo' ? undo() : redo();
  if (!snap || snap.selected === before) return;
  // (selectNode sets the same selection the snapshot restored: no new history entry)
  if (snap.selected === null) useStore.getState().set({ card: null });
  else {
    try {
      const n = parseNodeId(snap.selected);
      void selectNode(snap.selected, n.kind, n.layer, n.index, snap.selection);
    } catch {
      // a selection that is not a node id: nothing to reopen
    }
  }
}
