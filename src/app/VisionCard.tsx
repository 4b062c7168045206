import { useEffect, useState } from 'react';
import { useImage, type EditAt } from '../store/image';
import { useStore } from '../store/store';
import { PatchCanvas } from './ImagePanel';
import { clsAttention } from './vision-actions';
import { TopImages } from './TopImages';

/** Where the card's edits apply on an image: its positions and how the edit list names them. */
export function visionEditPositions(editAt: EditAt, nodePosition: number | null): { positions: number[] | null; where: string } {
  if (editAt === 'all') return { positions: null, where: '@all' };
  if (editAt === 'node') return nodePosition === null ? { positions: null, where: '@all' } : { positions: [nodePosition], where: `@${nodePosition}` };
  return { positions: [editAt], where: editAt === 0 ? '@[CLS]' : `@p${editAt - 1}` };
}

/** A neuron's card on an image: its activation over the patches as heat on the image, where edits apply, and its top-activating bundled examples. */
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
      <TopImages node={node} />
    </div>
  );
}

const min = (a: Float32Array) => a.subarray(1).reduce((m, x) => Math.min(m, x), Infinity);
const max = (a: Float32Array) => a.subarray(1).reduce((m, x) => Math.max(m, x), -Infinity);

/** A head's card on an image: where [CLS] attends among the patches, for every head of its layer (this one outlined). */
export function VisionHeads({ layer, head }: { layer: number; head: number }) {
  const image = useImage((s) => s.image);
  const nHead = useStore((s) => s.model?.config.nHead ?? 0);
  const [rows, setRows] = useState<Float32Array[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    if (!image) return;
    let live = true;
    setRows(null);
    void clsAttention(image.pixels, layer).then(
      (r) => live && setRows(r),
      (e: Error) => live && setErr(e.message),
    );
    return () => {
      live = false;
    };
  }, [image, layer]);
  if (err) return <p className="error inline">{err}</p>;
  if (!rows) return <p className="muted">computing the attention…</p>;
  return (
    <div data-testid="vision-heads">
      <h3>
        [CLS] → patches, layer {layer} <span className="muted">attention of the class token to each patch, per head (the rest goes to [CLS] itself)</span>
      </h3>
      <div className="cols">
        {Array.from({ length: nHead }, (_, h) => (
          <div key={h} style={{ outline: h === head ? '2px solid #f59e0b' : undefined }}>
            <PatchCanvas heat={rows[h].subarray(1)} size={112} testId={`cls-attention-${h}`} title={`L${layer}.H${h}: [CLS] → itself ${rows[h][0].toFixed(3)}`} />
            <div className="muted">
              H{h} · self {rows[h][0].toFixed(2)}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
