/**
 * src/engine/image-preprocess.ts against real PIL (Pillow, via scripts/pil-reference.py; the outputs are committed in
 * test/fixtures/pil-reference/reference.json, so no Python is needed here): channel conversions as Image.convert,
 * resizes as Image.resize (NEAREST, BILINEAR, BICUBIC, BOX; up and down), and whole ViT / DeiT preprocessing
 * pipelines (convert, resize, center crop with and without padding, rescale, normalize). 8-bit values must be
 * identical, pixel values within 1e-6. JPEG decoding (jpeg-js, not libjpeg) is not identical; its figures are pinned.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, type RawImage } from '../../src/engine/image-decode';
import { convertChannels, parseImageProcessor, pilResize, preprocessImageWithPixels } from '../../src/engine/image-preprocess';
import type { VisionConfig } from '../../src/engine/types';

const DIR = join(__dirname, '..', 'fixtures', 'pil-reference');

interface U8 {
  width: number;
  height: number;
  channels: number;
  u8: string;
}
interface Reference {
  pil_version: string;
  images: string[];
  convert: Array<{ image: string; mode: string; rgb: U8; l: U8 }>;
  resize: Array<{ image: string; mode: 'RGB' | 'L'; width: number; height: number; resample: number; out: U8 }>;
  pipelines: Array<{ case: string; image: string; config: Record<string, unknown>; image_size: [number, number]; channels: number; converted: U8; resized?: U8; cropped?: U8; pixel_values: { shape: number[]; f32: string } }>;
  jpeg: Array<{ image: string; subsampling: '444' | '420'; decoded: U8 }>;
}

const ref: Reference = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8'));
const raw = (u: U8): RawImage => ({ width: u.width, height: u.height, channels: u.channels, data: new Uint8Array(Buffer.from(u.u8, 'base64')) });
const image = (name: string) => decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);

/** Where two 8-bit images first differ, for a readable failure; null when they are identical. */
function firstDiff(got: RawImage, want: RawImage): string | null {
  if (got.width !== want.width || got.height !== want.height || got.channels !== want.channels) return `shape ${got.width}×${got.height}×${got.channels}, want ${want.width}×${want.height}×${want.channels}`;
  let n = 0;
  let first = -1;
  for (let i = 0; i < got.data.length; i++) {
    if (got.data[i] !== want.data[i]) {
      n++;
      if (first < 0) first = i;
    }
  }
  if (n === 0) return null;
  const px = Math.floor(first / got.channels);
  return `${n} of ${got.data.length} values differ; first at x=${px % got.width} y=${Math.floor(px / got.width)} c=${first % got.channels}: ${got.data[first]} vs PIL ${want.data[first]}`;
}

describe(`image preprocessing against PIL ${ref.pil_version}`, () => {
  it('the committed PNGs decode to what PIL reads from them, converted as Image.convert("RGB") and convert("L")', () => {
    expect(ref.convert.map((c) => c.image).sort()).toEqual(ref.images);
    for (const c of ref.convert) {
      const img = image(c.image);
      expect(firstDiff(convertChannels(img, 3), raw(c.rgb)), `${c.image} (${c.mode}) → RGB`).toBeNull();
      expect(firstDiff(convertChannels(img, 1), raw(c.l)), `${c.image} (${c.mode}) → L`).toBeNull();
    }
  });

  it('Image.resize with NEAREST, BILINEAR, BICUBIC and BOX, up and down, RGB and L: every 8-bit value identical', () => {
    expect(ref.resize.length).toBeGreaterThanOrEqual(72);
    for (const r of ref.resize) {
      const src = convertChannels(image(r.image), r.mode === 'RGB' ? 3 : 1);
      const got = pilResize(src, r.width, r.height, r.resample);
      expect(firstDiff(got, raw(r.out)), `${r.image} ${r.mode} → ${r.width}×${r.height} resample ${r.resample}`).toBeNull();
    }
  });

  it.each(ref.pipelines.map((p) => [p.case, p] as const))('%s: the processor named in preprocessor_config.json, step by step', (_, p) => {
    const vision: VisionConfig = { imageSize: p.image_size, patchSize: 1, channels: p.channels, grid: p.image_size, labels: ['0'], preprocess: null as never };
    vision.preprocess = parseImageProcessor(p.config, vision);
    const img = image(p.image);
    const converted = convertChannels(img, p.channels);
    expect(firstDiff(converted, raw(p.converted)), 'converted').toBeNull();
    const r = vision.preprocess.resize;
    expect(r !== null).toBe(p.resized !== undefined);
    const resized = r ? pilResize(converted, r.width, r.height, r.resample) : converted;
    if (p.resized) expect(firstDiff(resized, raw(p.resized)), 'resized').toBeNull();
    expect(vision.preprocess.centerCrop !== null).toBe(p.cropped !== undefined);
    const { values, pixels } = preprocessImageWithPixels(img, vision, p.image);
    expect(firstDiff(pixels, raw(p.cropped ?? p.resized ?? p.converted)), 'the 8-bit image the model sees').toBeNull();
    const want = new Float32Array(new Uint8Array(Buffer.from(p.pixel_values.f32, 'base64')).buffer);
    expect(values.shape).toEqual(p.pixel_values.shape);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(values.data[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  // Not the preprocessing but the decoder before it: jpeg-js is not libjpeg. Its inverse DCT rounds differently (a few
  // levels), and it upsamples halved chroma (4:2:0, most JPEGs) by repeating samples where libjpeg interpolates
  // ("fancy upsampling"), which moves colours near edges by tens of levels. The figures are pinned here.
  it.each(ref.jpeg.map((j) => [j.subsampling, j] as const))('a %s JPEG: what jpeg-js decodes beside what PIL (libjpeg) decodes', (sub, j) => {
    const got = image(j.image);
    const want = raw(j.decoded);
    expect([got.width, got.height, got.channels]).toEqual([want.width, want.height, want.channels]);
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < got.data.length; i++) {
      const d = Math.abs(got.data[i] - want.data[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    const mean = sum / got.data.length;
    if (sub === '444') {
      expect(worst).toBeLessThanOrEqual(3);
      expect(mean).toBeLessThan(1);
    } else {
      expect(worst).toBeLessThanOrEqual(30);
      expect(mean).toBeLessThan(4);
    }
  });
});
