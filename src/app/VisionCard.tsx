import { useImage, type EditAt } from '../store/image';
import { useStore } from '../store/store';
import { PatchCanvas } from './ImagePanel';

/** Where the card's edits apply on an image: its positions and how the edit list names them. */
export function visionEditPositions(editAt: EditAt, nodePosition: number | null): { positions: number[] | null; where: string } {
  if (editAt === 'all') return { positions: null, where: '@all' };
  if (editAt === 'node') return nodePosition === null ? { positions: null, where: '@all' } : { positions: [nodePosition], where: `@${nodePosition}` };
  return { positions: [editAt], where: editAt === 0 ? '@[CLS]' : `@p${editAt - 1}` };
}

/** A neuron's card on an image: its activation over the patches as heat on the image, and where edits apply. */
export function VisionCard({ node, nodePosition }: { node: string; nodePosition: number | null }) {
  const acts = useImage((s) => (s.patchActs?.node === node ? s.patchActs.acts : null));
  const editAt = useImage((s) => s.editAt);
  const loading = useStore((s) => s.cardLoading);
  const set = useImage((s) => s.set);
  const choice = typeof editAt === 'number' && editAt > 0 ? 'patch' : String(editAt);
  return (
    <div data-testid="vision-card">
      <div className="controls">
        edit at{' '}
        <select
          data-testid="edit-at"
          value={choice}
          onChange={(e) => set({ editAt: e.target.value === 'node' || e.target.value === 'all' ? e.target.value : e.target.value === '0' ? 0 : 1 })}
        >
          <option value="node">{nodePosition === null ? 'every token (the node’s)' : `the node’s token (${nodePosition === 0 ? '[CLS]' : `p${nodePosition - 1}`})`}</option>
          <option value="all">every token</option>
          <option value="0">[CLS]</option>
          <option value="patch">{typeof editAt === 'number' && editAt > 0 ? `patch p${editAt - 1}` : 'a patch (click it on the image)'}</option>
        </select>
      </div>
      {loading && !acts && <p className="muted">computing the activations…</p>}
      {acts && (
        <>
          <h3>
            Activation over the patches <span className="muted">[CLS] {acts[0].toFixed(3)}; patches {min(acts).toFixed(3)} … {max(acts).toFixed(3)}</span>
          </h3>
          <PatchCanvas heat={acts.subarray(1)} testId="patch-overlay" />
        </>
      )}
    </div>
  );
}

const min = (a: Float32Array) => a.subarray(1).reduce((m, x) => Math.min(m, x), Infinity);
const max = (a: Float32Array) => a.subarray(1).reduce((m, x) => Math.max(m, x), -Infinity);
