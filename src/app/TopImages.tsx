import type { VisionConfig } from '../engine/types';
import { useImage } from '../store/image';
import { useStore } from '../store/store';
import { patchRect } from '../views/patch-image';
import type { TopImage } from '../worker/api';
import { openTopImage } from './vision-actions';

const tokenName = (t: number) => (t === 0 ? '[CLS]' : `p${t - 1}`);

/** One ranked example: its PNG, the patch where the neuron's max sits outlined, its label and value; a click opens it. */
function Thumb({ item, node, base, v, current }: { item: TopImage; node: string; base: string | null; v: VisionConfig; current: boolean }) {
  const label = v.labels[item.label] ?? String(item.label);
  const box = item.token > 0 ? patchRect(v, item.token - 1) : null;
  const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
  return (
    <button
      className={`top-image${current ? ' active' : ''}`}
      data-testid={`top-image-${item.id}`}
      data-value={item.value}
      data-token={item.token}
      disabled={!base}
      title={`${item.id}: label ${label}; max ${item.value.toFixed(4)} at ${tokenName(item.token)}; [CLS] ${item.cls.toFixed(4)}${base ? ' — click to open it' : ''}`}
      onClick={() => void openTopImage(item.id, node)}
    >
      <span className="top-image-frame">
        {base ? <img src={base + item.file} alt={`example ${item.id}`} /> : <span className="muted">{item.id}</span>}
        {box && <span className="top-image-patch" style={{ left: pct(box.left), top: pct(box.top), width: pct(box.width), height: pct(box.height) }} />}
      </span>
      <span className="top-image-caption">
        <b>{label}</b> {item.value.toFixed(2)}
        {item.token === 0 ? ' [CLS]' : ''}
      </span>
    </button>
  );
}

/** The opened neuron's top- and least-activating images among the model's bundled examples. */
export function TopImages({ node }: { node: string }) {
  const ti = useImage((s) => (s.topImages?.node === node ? s.topImages : null));
  const base = useImage((s) => s.examplesBase);
  const current = useImage((s) => s.image?.exampleId ?? null);
  const v = useStore((s) => s.model?.config.vision);
  if (!ti || !v) return null;
  if (ti.error) return <p className="error inline" data-testid="top-images-error">Top-activating images: {ti.error}</p>;
  if (!ti.result) {
    return (
      <p className="muted" data-testid="top-images-loading">
        top-activating images: computing…{ti.progress ? ` ${ti.progress.done}/${ti.progress.total} images` : ''}
      </p>
    );
  }
  const r = ti.result;
  if (r.reason) {
    return (
      <p className="muted" data-testid="top-images-none">
        No top-activating images: {r.reason}.
      </p>
    );
  }
  const row = (items: TopImage[], testId: string) => (
    <div className="top-images" data-testid={testId}>
      {items.map((it) => (
        <Thumb key={it.id} item={it} node={node} base={base} v={v} current={it.id === current} />
      ))}
    </div>
  );
  return (
    <div data-testid="top-images-panel">
      <h3>
        Top-activating images <span className="muted">of the {r.images} bundled examples: the neuron’s max over [CLS] and the patches (clean run), the patch where it sits outlined; click one to open it</span>
      </h3>
      {row(r.top, 'top-images')}
      <h3>
        Least activating <span className="muted">the {r.bottom.length} examples with the smallest max</span>
      </h3>
      {row(r.bottom, 'bottom-images')}
    </div>
  );
}
