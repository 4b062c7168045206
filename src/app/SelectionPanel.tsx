import { useState } from 'react';
import { parseNodeId } from '../engine/nodeid';
import { useStore } from '../store/store';
import { selectNode } from './controller';
import { clickNode, editSelection } from './selection-actions';

/** Several selected nodes (shift/ctrl-click on the graph): the list, and edits that apply to all of them at once. */
export function SelectionPanel() {
  const selection = useStore((s) => s.selection);
  const selected = useStore((s) => s.selected);
  const [every, setEvery] = useState(false);
  const [value, setValue] = useState(0);
  if (selection.length < 2) return null;
  const show = (id: string) => {
    const n = parseNodeId(id);
    void selectNode(id, n.kind, n.layer, n.index, selection);
  };
  return (
    <div className="panel" data-testid="selection-panel">
      <h2>
        {selection.length} nodes selected <span className="muted">shift/ctrl-click adds or removes one</span>
      </h2>
      <ul className="selection-list" data-testid="selection-list">
        {selection.map((id) => (
          <li key={id} className={id === selected ? 'current' : ''}>
            <button className="link" onClick={() => show(id)} title="show its card">
              {id}
            </button>
            <button onClick={() => clickNode(id, true)} title="take it out of the selection" aria-label={`deselect ${id}`}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="controls">
        <label>
          <input type="checkbox" checked={every} onChange={(e) => setEvery(e.target.checked)} /> at every position
        </label>
        <button data-testid="selection-zero" onClick={() => editSelection({ op: 'zero' }, every)}>
          Ablate all (zero)
        </button>
        <button data-testid="selection-mean" onClick={() => editSelection({ op: 'mean' }, every)} title="set each neuron to its mean over the reference text">
          Ablate all (mean)
        </button>
        <button data-testid="selection-flip" onClick={() => editSelection({ op: 'scale', value: -1 }, every)}>
          Sign flip all
        </button>
        <label>
          value <input type="number" step={0.5} value={value} onChange={(e) => setValue(Number(e.target.value))} style={{ width: 56 }} />
        </label>
        <button data-testid="selection-clamp" onClick={() => editSelection({ op: 'clamp', value }, every)}>
          Clamp all
        </button>
        <button data-testid="selection-scale" onClick={() => editSelection({ op: 'scale', value }, every)}>
          Scale all
        </button>
        <button data-testid="selection-clear" onClick={() => useStore.getState().set({ selected: null, selection: [], card: null })}>
          clear selection
        </button>
      </div>
    </div>
  );
}
