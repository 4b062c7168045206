import { canRedo, canUndo } from '../store/history';
import { stepHistory } from './history-actions';
import { restoreSetAside } from './controller';
import { useStore } from '../store/store';

function describe(e: { hook: string; index: number | null; op: string; value?: number; positions: number[] | null }): string {
  const where = e.positions === null ? 'all positions' : `position ${e.positions.join(',')}`;
  const what = e.op === 'clamp' ? `clamp to ${e.value}` : e.op === 'scale' ? `scale ×${e.value}` : e.op === 'add' ? `add ${e.value}` : e.op;
  return `${e.hook}[${e.index ?? '*'}] ${what} @ ${where}`;
}

export function EditsPanel() {
  const edits = useStore((s) => s.edits);
  const setAside = useStore((s) => s.setAside);
  useStore((s) => s.selected); // undo/redo availability changes with selections too
  const { removeEdit, toggleEdit, clearEdits } = useStore.getState();
  return (
    <div className="panel">
      <h2>
        Edits {edits.length > 0 && <button onClick={clearEdits}>clear</button>}{' '}
        <button onClick={() => stepHistory('undo')} disabled={!canUndo()} data-testid="undo" title="undo (Ctrl+Z)">
          undo
        </button>{' '}
        <button onClick={() => stepHistory('redo')} disabled={!canRedo()} data-testid="redo" title="redo (Ctrl+Shift+Z)">
          redo
        </button>
      </h2>
      {edits.length === 0 && <p className="muted">No edits. Click a node in the path graph to ablate, clamp or scale it.</p>}
      {setAside && (
        <p className="muted" data-testid="set-aside">
          {setAside.edits.length} edit{setAside.edits.length > 1 ? 's' : ''} from {setAside.from} set aside (this model cannot run {setAside.edits.length > 1 ? 'them' : 'it'}).{' '}
          <button onClick={restoreSetAside} data-testid="restore-set-aside">restore what runs here</button>
        </p>
      )}
      <ul className="edits" data-testid="edits-list">
        {edits.map((e) => (
          <li key={e.id} className={e.enabled ? '' : 'off'}>
            <input type="checkbox" checked={e.enabled} onChange={() => toggleEdit(e.id)} title="on/off" />
            <span>{e.label ?? describe(e)}</span>
            <button onClick={() => removeEdit(e.id)} title="remove">×</button>
          </li>
        ))}
      </ul>
    </div>
  );
}
