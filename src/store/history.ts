/**
 * One undo/redo history for every action on edits and the selection (add, remove, toggle, clear, a model switch
 * setting edits aside, selecting a node or several): each change of `edits`, `selected` or `selection` records
 * the state before it.
 */
import { useStore, type UiEdit } from './store';

export interface Snapshot {
  edits: UiEdit[];
  selected: string | null;
  selection: string[];
}

const LIMIT = 200;
const past: Snapshot[] = [];
const future: Snapshot[] = [];
let applying = false;
let started = false;

/** Starts recording (once; the app calls it at start, tests as they need). */
export function startHistory(): void {
  if (started) return;
  started = true;
  useStore.subscribe((s, prev) => {
    if (applying || (s.edits === prev.edits && s.selected === prev.selected && s.selection === prev.selection)) return;
    past.push({ edits: prev.edits, selected: prev.selected, selection: prev.selection });
    if (past.length > LIMIT) past.shift();
    future.length = 0;
  });
}

function apply(from: Snapshot[], to: Snapshot[]): Snapshot | null {
  const snap = from.pop();
  if (!snap) return null;
  const s = useStore.getState();
  to.push({ edits: s.edits, selected: s.selected, selection: s.selection });
  applying = true;
  try {
    s.set({ edits: snap.edits, selected: snap.selected, selection: snap.selection });
  } finally {
    applying = false;
  }
  return snap;
}

/** Steps back one action; returns the state now shown, or null when there is nothing to undo. */
export const undo = () => apply(past, future);
/** Steps forward again after an undo. */
export const redo = () => apply(future, past);
export const canUndo = () => past.length > 0;
export const canRedo = () => future.length > 0;

/** Forgets everything (tests). */
export function clearHistory(): void {
  past.length = 0;
  future.length = 0;
}
