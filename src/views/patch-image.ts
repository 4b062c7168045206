/**
 * Draws an image at a vision model's size scaled up on a canvas, its patch grid over it, and optionally one value
 * per patch as a heat overlay (the diverging colour scale of colours.ts) and one highlighted patch. Pure drawing.
 */
import type { RawImage } from '../engine/image-decode';
import type { VisionConfig } from '../engine/types';
import { divergingFill } from './colours';

export interface PatchImageOptions {
  patchSize: number;
  /** Pixels on screen per image pixel. */
  scale: number;
  /** One value per patch, row-major (the tokens after [CLS]). */
  heat?: ArrayLike<number> | null;
  /** A patch to outline (row-major index). */
  highlight?: number | null;
}

/** The 8-bit pixels as RGBA (grayscale spread to the three channels, alpha kept where there is one). */
export function toRgba(img: RawImage): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(img.width * img.height * 4);
  const C = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    const g = img.data[i * C];
    out[i * 4] = C >= 3 ? img.data[i * C] : g;
    out[i * 4 + 1] = C >= 3 ? img.data[i * C + 1] : g;
    out[i * 4 + 2] = C >= 3 ? img.data[i * C + 2] : g;
    out[i * 4 + 3] = C === 2 ? img.data[i * C + 1] : C === 4 ? img.data[i * C + 3] : 255;
  }
  return out;
}

/** The row-major patch under a point of the canvas (CSS pixels), or null outside the image. */
export function patchAt(img: Pick<RawImage, 'width' | 'height'>, o: Pick<PatchImageOptions, 'patchSize' | 'scale'>, x: number, y: number): number | null {
  const px = Math.floor(x / (o.patchSize * o.scale));
  const py = Math.floor(y / (o.patchSize * o.scale));
  const gw = Math.floor(img.width / o.patchSize);
  const gh = Math.floor(img.height / o.patchSize);
  if (px < 0 || py < 0 || px >= gw || py >= gh) return null;
  return py * gw + px;
}

export function drawPatchImage(canvas: HTMLCanvasElement, img: RawImage, o: PatchImageOptions): void {
  const { width: w, height: h } = img;
  canvas.width = w * o.scale;
  canvas.height = h * o.scale;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const src = document.createElement('canvas');
  src.width = w;
  src.height = h;
  src.getContext('2d')!.putImageData(new ImageData(toRgba(img), w, h), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
  const p = o.patchSize * o.scale;
  const gw = Math.floor(w / o.patchSize);
  const gh = Math.floor(h / o.patchSize);
  if (o.heat) {
    let max = 1e-9;
    for (let i = 0; i < o.heat.length; i++) max = Math.max(max, Math.abs(o.heat[i]));
    for (let i = 0; i < gw * gh; i++) {
      ctx.fillStyle = divergingFill(o.heat[i] ?? 0, max).replace(/,([\d.]+)\)$/, (_, a) => `,${(0.75 * Number(a)).toFixed(3)})`);
      ctx.fillRect((i % gw) * p, Math.floor(i / gw) * p, p, p);
    }
  }
  ctx.strokeStyle = 'rgba(245,158,11,0.7)';
  ctx.lineWidth = 1;
  for (let c = 0; c <= gw; c++) (ctx.beginPath(), ctx.moveTo(c * p + 0.5, 0), ctx.lineTo(c * p + 0.5, gh * p), ctx.stroke());
  for (let r = 0; r <= gh; r++) (ctx.beginPath(), ctx.moveTo(0, r * p + 0.5), ctx.lineTo(gw * p, r * p + 0.5), ctx.stroke());
  if (o.highlight !== null && o.highlight !== undefined && o.highlight < gw * gh) {
    ctx.strokeStyle = '#dc2626';
    ctx.lineWidth = 3;
    ctx.strokeRect((o.highlight % gw) * p + 1.5, Math.floor(o.highlight / gw) * p + 1.5, p - 3, p - 3);
  }
}

/**
 * Where patch `patch` (row-major) of the model's input lies on the original image, as fractions of its width and
 * height: the image is resized to the processor's fixed size, then center-cropped (top = (H − h) // 2, left =
 * (W − w) // 2), as preprocessPixels does. Without a resize the image is taken at `raw` (default: the model's size).
 * Fractions may pass 0 or 1 where the crop pads the image.
 */
export function patchRect(
  v: Pick<VisionConfig, 'patchSize' | 'grid' | 'imageSize' | 'preprocess'>,
  patch: number,
  raw?: { width: number; height: number },
): { left: number; top: number; width: number; height: number } {
  const gw = v.grid[1];
  const [r, c] = [Math.floor(patch / gw), patch % gw];
  const size = v.preprocess.resize ?? raw ?? { height: v.imageSize[0], width: v.imageSize[1] };
  const crop = v.preprocess.centerCrop;
  const y0 = (crop ? Math.floor((size.height - crop.height) / 2) : 0) + r * v.patchSize;
  const x0 = (crop ? Math.floor((size.width - crop.width) / 2) : 0) + c * v.patchSize;
  return { left: x0 / size.width, top: y0 / size.height, width: v.patchSize / size.width, height: v.patchSize / size.height };
}
