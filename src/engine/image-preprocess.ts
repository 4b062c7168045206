/**
 * An image's pixels → a vision model's pixel values, as Hugging Face's ViTImageProcessor computes them from
 * preprocessor_config.json:
 * 1. resize to `size` when the image's size differs, with PIL's BILINEAR filter (resample=2) on 8-bit pixels —
 *    PIL's two-pass algorithm (horizontal, then vertical) with its triangle filter widened by the downscale
 *    factor (antialiasing), its fixed-point coefficients (22 fraction bits) and its rounding to 8 bits after
 *    each pass (`pilBilinear`, the arithmetic of PIL's Resample.c);
 * 2. rescale: uint8 · rescale_factor in float64, then cast to float32;
 * 3. normalize: (x − mean) / std per channel in float32;
 * 4. HWC → CHW.
 * Pure TypeScript: the browser worker and the CLI run the same code.
 */
import { fail } from './errors';
import { channelNames, type RawImage } from './image-decode';
import type { PixelValues } from './inputs';
import type { ImageProcessorConfig, VisionConfig } from './types';

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * preprocessor_config.json (ViTImageProcessor fields) read against the model's vision config; absent fields take
 * ViTImageProcessor's defaults, with `size` defaulting to the model's image size. Settings the engine does not
 * implement (a center crop, `size` given as a shortest edge) are refused, naming the field.
 */
export function parseImageProcessor(input: string | object, vision: Pick<VisionConfig, 'imageSize' | 'channels'>): ImageProcessorConfig {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      fail('preprocessor_config.json is not valid JSON');
    }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('preprocessor_config.json must hold a JSON object');
  const c = raw as Record<string, unknown>;
  const bool = (k: string, d: boolean) => {
    const v = c[k] ?? d;
    if (typeof v !== 'boolean') fail(`preprocessor_config.json: "${k}" must be true or false (got ${show(c[k])})`);
    return v;
  };
  if (c.do_center_crop === true) fail('preprocessor_config.json: "do_center_crop" true is not implemented (resize, rescale and normalize are)');
  let resize: ImageProcessorConfig['resize'] = null;
  if (bool('do_resize', true)) {
    const size = c.size ?? { height: vision.imageSize[0], width: vision.imageSize[1] };
    const s = (typeof size === 'number' ? { height: size, width: size } : size) as Record<string, unknown>;
    const dim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
    if (!s || typeof s !== 'object' || !dim(s.height) || !dim(s.width)) fail(`preprocessor_config.json: "size" must be {"height": H, "width": W} (got ${show(size)}; a shortest edge is not implemented)`);
    const resample = c.resample ?? 2;
    if (typeof resample !== 'number' || !Number.isInteger(resample)) fail(`preprocessor_config.json: "resample" must be a PIL filter number (got ${show(resample)})`);
    resize = { height: s.height as number, width: s.width as number, resample };
  }
  let rescale: number | null = null;
  if (bool('do_rescale', true)) {
    const f = c.rescale_factor ?? 1 / 255;
    if (typeof f !== 'number' || !Number.isFinite(f)) fail(`preprocessor_config.json: "rescale_factor" must be a number (got ${show(f)})`);
    rescale = f;
  }
  let normalize: ImageProcessorConfig['normalize'] = null;
  if (bool('do_normalize', true)) {
    const vec = (k: string) => {
      const v = c[k] ?? [0.5, 0.5, 0.5];
      const list = typeof v === 'number' ? Array.from({ length: vision.channels }, () => v) : v;
      if (!Array.isArray(list) || list.length !== vision.channels || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        fail(`preprocessor_config.json: "${k}" must hold ${vision.channels} numbers, one per channel (got ${show(v)})`);
      }
      return list as number[];
    };
    const std = vec('image_std');
    if (std.some((x) => x === 0)) fail('preprocessor_config.json: "image_std" holds a 0');
    normalize = { mean: vec('image_mean'), std };
  }
  return { resize, rescale, normalize };
}

/** Decoded pixels → pixel values [C, H, W] for a model (the steps above); the channels must be the model's. */
export function preprocessImage(img: RawImage, vision: VisionConfig, name = 'the image'): PixelValues {
  const C = vision.channels;
  if (img.channels !== C) fail(`${name} has ${img.channels} channels (${channelNames(img.channels)}); the model takes ${C} (${channelNames(C)})`);
  const p = vision.preprocess;
  let pixels = img;
  if (p.resize && (img.width !== p.resize.width || img.height !== p.resize.height)) {
    if (p.resize.resample !== 2) fail(`${name} is ${img.width}×${img.height} and needs resizing to ${p.resize.width}×${p.resize.height}, but only bilinear resampling (resample 2) is implemented, not resample ${p.resize.resample}`);
    pixels = pilBilinear(img, p.resize.width, p.resize.height);
  }
  const [H, W] = vision.imageSize;
  if (pixels.width !== W || pixels.height !== H) fail(`${name} is ${pixels.width}×${pixels.height} after preprocessing; the model takes ${W}×${H}`);
  const out = new Float32Array(C * H * W);
  const f32 = Math.fround;
  const mean = p.normalize?.mean.map(f32);
  const std = p.normalize?.std.map(f32);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        let v = f32(p.rescale === null ? pixels.data[(y * W + x) * C + c] : pixels.data[(y * W + x) * C + c] * p.rescale);
        if (mean && std) v = f32(f32(v - mean[c]) / std[c]);
        out[(c * H + y) * W + x] = v;
      }
    }
  }
  return { shape: [C, H, W], data: out };
}

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's precompute_coeffs for the bilinear (triangle) filter: per output index, the first input index and integer weights. */
function coefficients(inSize: number, outSize: number): { bounds: Int32Array; weights: number[][] } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filterscale;
  const bounds = new Int32Array(outSize);
  const weights: number[][] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const k: number[] = [];
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterscale);
      const w = t < 1 ? 1 - t : 0;
      k.push(w);
      ww += w;
    }
    // Normalised, then to fixed point as PIL's normalize_coeffs_8bpc rounds them.
    weights.push(k.map((w) => {
      const v = ww !== 0 ? w / ww : w;
      return v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }));
    bounds[xx] = xmin;
  }
  return { bounds, weights };
}

const clip8 = (v: number) => (v >= 2 ** (PRECISION_BITS + 8) ? 255 : v <= 0 ? 0 : Math.floor(v / 2 ** PRECISION_BITS));

/** PIL's Image.resize(size, resample=BILINEAR) on 8-bit pixels: horizontal pass, then vertical, each rounded to 8 bits. */
export function pilBilinear(img: RawImage, width: number, height: number): RawImage {
  const C = img.channels;
  let cur = img;
  if (width !== img.width) {
    const { bounds, weights } = coefficients(img.width, width);
    const data = new Uint8Array(width * img.height * C);
    for (let y = 0; y < img.height; y++) {
      for (let xx = 0; xx < width; xx++) {
        const k = weights[xx];
        for (let c = 0; c < C; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < k.length; x++) ss += cur.data[(y * img.width + bounds[xx] + x) * C + c] * k[x];
          data[(y * width + xx) * C + c] = clip8(ss);
        }
      }
    }
    cur = { width, height: img.height, channels: C, data };
  }
  if (height !== img.height) {
    const { bounds, weights } = coefficients(img.height, height);
    const data = new Uint8Array(width * height * C);
    for (let yy = 0; yy < height; yy++) {
      const k = weights[yy];
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < C; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let y = 0; y < k.length; y++) ss += cur.data[((bounds[yy] + y) * width + x) * C + c] * k[y];
          data[(yy * width + x) * C + c] = clip8(ss);
        }
      }
    }
    cur = { width, height, channels: C, data };
  }
  return cur;
}
