import { useEffect, useRef, type ClipboardEvent, type DragEvent } from 'react';
import { useImage } from '../store/image';
import { useStore } from '../store/store';
import { drawPatchImage, patchAt } from '../views/patch-image';
import { chooseExample, chooseFile } from './vision-actions';

/** On-screen pixels per image pixel: the image is shown about `size` (224) px wide. */
const scaleFor = (w: number, size = 224) => Math.max(1, Math.floor(size / w));

/** The image with its patch grid, the opened neuron's activation per patch as heat, and the clicked patch. */
export function PatchCanvas({ heat, testId = 'image-canvas', size = 224, title }: { heat?: ArrayLike<number> | null; testId?: string; size?: number; title?: string }) {
  const image = useImage((s) => s.image);
  const editAt = useImage((s) => s.editAt);
  const v = useStore((s) => s.model?.config.vision);
  const ref = useRef<HTMLCanvasElement>(null);
  const highlight = typeof editAt === 'number' && editAt > 0 ? editAt - 1 : null;
  useEffect(() => {
    if (ref.current && image && v) drawPatchImage(ref.current, image.preview, { patchSize: v.patchSize, scale: scaleFor(image.preview.width, size), heat, highlight });
  }, [image, v, heat, highlight, size]);
  if (!image || !v) return null;
  const scale = scaleFor(image.preview.width, size);
  return (
    <canvas
      ref={ref}
      data-testid={testId}
      data-heat={heat ? 'on' : 'off'}
      className="patch-canvas"
      title={title ?? 'click a patch to edit at its token'}
      onClick={(e) => {
        const r = e.currentTarget.getBoundingClientRect();
        const p = patchAt(image.preview, { patchSize: v.patchSize, scale: (scale * r.width) / e.currentTarget.width }, e.clientX - r.left, e.clientY - r.top);
        if (p !== null) useImage.getState().set({ editAt: 1 + p });
      }}
    />
  );
}

/** In place of the prompt for a vision model: the bundled examples by class, and the user's own PNG or JPEG. */
export function ImagePanel() {
  const image = useImage((s) => s.image);
  const examples = useImage((s) => s.examples);
  const base = useImage((s) => s.examplesBase);
  const error = useImage((s) => s.imageError);
  const awaiting = useImage((s) => s.awaitingSha);
  const labels = useStore((s) => s.model?.config.vision?.labels ?? []);
  const promptError = useStore((s) => s.promptError);
  const take = (files: FileList | null | undefined) => {
    const f = files?.[0];
    if (f) void chooseFile(f);
  };
  const onDrop = (e: DragEvent) => {
    // The image is this panel's: the page's own drop target (model files) must not take it too.
    e.preventDefault();
    e.stopPropagation();
    take(e.dataTransfer.files);
  };
  const onPaste = (e: ClipboardEvent) => {
    const item = Array.from(e.clipboardData.items).find((i) => i.kind === 'file');
    const f = item?.getAsFile();
    if (f) (e.preventDefault(), e.stopPropagation(), void chooseFile(f, f.name || 'the pasted image'));
  };
  const byClass = [...(examples ?? [])].sort((a, b) => a.label - b.label);
  return (
    <div className="panel" data-testid="image-panel" onPaste={onPaste} tabIndex={0}>
      <h2>
        Image <span className="muted">{image ? `${image.exampleId ? `example ${image.exampleId}` : image.name}, ${image.width}×${image.height}` : 'none yet'}</span>
      </h2>
      {awaiting && (
        <p className="notice" data-testid="image-awaited">
          The session was saved with your own image (SHA-256 {awaiting.slice(0, 12)}…), which is never put in a link: choose it again below.
        </p>
      )}
      {base && byClass.length > 0 && (
        <div className="thumbs" data-testid="image-examples">
          {byClass.map((ex) => (
            <button key={ex.id} className={image?.exampleId === ex.id ? 'active' : ''} data-testid={`example-${ex.id}`} title={`${ex.id}: ${labels[ex.label] ?? ex.label}`} onClick={() => void chooseExample(ex.id)}>
              <img src={base + ex.file} alt={`example ${ex.id}`} width={28} height={28} style={{ imageRendering: 'pixelated' }} />
            </button>
          ))}
        </div>
      )}
      <div className="dropzone" data-testid="image-drop" onDragOver={(e) => (e.preventDefault(), e.stopPropagation())} onDrop={onDrop}>
        Drop or paste a PNG or JPEG here, or{' '}
        <label className="link">
          choose one<input type="file" accept="image/png,image/jpeg" data-testid="image-file" style={{ display: 'none' }} onChange={(e) => take(e.target.files)} />
        </label>
        ; it is decoded in this page's engine; nothing leaves the browser.
      </div>
      <PatchCanvas />
      {(error || promptError) && (
        <div className="error inline" data-testid="prompt-error">
          {error ?? promptError}
        </div>
      )}
    </div>
  );
}
