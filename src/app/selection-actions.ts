/**
 * Several selected nodes: a plain click selects one node, shift/ctrl/⌘-click adds it to the selection or takes it
 * out; the card shows the node clicked last. Edits for the whole selection go in as one action (one undo step).
 */
import { nodeHook, parseNodeId } from '../engine/nodeid';
import type { Edit } from '../engine/types';
import { useStore } from '../store/store';
import { selectNode } from './controller';

/** The selection after a click on `id`, and the node whose card is shown (null: none). */
export function nextSelection(selection: string[], id: string, additive: boolean): { selection: string[]; selected: string | null } {
  if (!additive) return { selection: [id], selected: id };
  if (selection.includes(id)) {
    const rest = selection.filter((x) => x !== id);
    return { selection: rest, selected: rest.length ? rest[rest.length - 1] : null };
  }
  return { selection: [...selection, id], selected: id };
}

/** A click on a graph node (`additive`: shift, ctrl or ⌘ held). */
export function clickNode(id: string, additive: boolean): void {
  const s = useStore.getState();
  const base = s.selection.length ? s.selection : s.selected ? [s.selected] : [];
  const next = nextSelection(base, id, additive);
  if (next.selected === null) {
    useStore.getState().set({ selected: null, selection: [], card: null });
    return;
  }
  const n = parseNodeId(next.selected);
  void selectNode(next.selected, n.kind, n.layer, n.index, next.selection);
}

export type BulkOp = { op: 'zero' } | { op: 'mean' } | { op: 'clamp'; value: number } | { op: 'scale'; value: number };

/**
 * One edit per selected node: the node's unit at its position (or at every position). `mean` applies to neurons
 * only; heads are left out of it (and counted in `skipped`).
 */
export function selectionEdits(selection: string[], what: BulkOp, everyPosition: boolean): { edits: Array<{ edit: Edit; label: string }>; skipped: string[] } {
  const edits: Array<{ edit: Edit; label: string }> = [];
  const skipped: string[] = [];
  for (const id of selection) {
    const node = parseNodeId(id);
    if (what.op === 'mean' && node.kind === 'head') {
      skipped.push(id);
      continue;
    }
    const positions = everyPosition || node.position === null ? null : [node.position];
    const value = 'value' in what ? what.value : undefined;
    const edit: Edit = { hook: nodeHook(node), index: node.index, op: what.op, positions };
    if (value !== undefined) edit.value = value;
    edits.push({ edit, label: `${id.split('@')[0]}${positions ? `@${node.position}` : '@all'} ${what.op}${value !== undefined ? ` ${value}` : ''}` });
  }
  return { edits, skipped };
}

/** Applies one edit to every selected node, as one undoable action. */
export function editSelection(what: BulkOp, everyPosition: boolean): void {
  const s = useStore.getState();
  const { edits, skipped } = selectionEdits(s.selection, what, everyPosition);
  if (edits.length) s.addEdits(edits);
  if (skipped.length) s.notify(`Mean ablation is for neurons: ${skipped.join(', ')} ${skipped.length > 1 ? 'were' : 'was'} left out.`);
}
