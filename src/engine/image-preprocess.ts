/**
 * An image's pixels → a vision model's pixel values, as Hugging Face's slow (PIL-based) image processors compute
 * them from preprocessor_config.json — ViTImageProcessor, and DeiTImageProcessor (resize, then center crop):
 * 0. channels: an image whose channels are not the model's is converted as PIL's `convert("RGB")` (gray replicated,
 *    alpha dropped without compositing) or `convert("L")` (ITU-R 601-2 luma in PIL's 16-bit fixed point) does —
 *    what Hugging Face's pipelines do to every image they load;
 * 1. resize with `resample` on 8-bit pixels, as PIL's Image.resize computes it (`pilResize`): NEAREST (its affine
 *    scale, coordinates accumulated in float64), or BILINEAR / BICUBIC (a = −0.5) / BOX by PIL's two-pass algorithm
 *    of Resample.c (horizontal, then vertical), the filter widened by the downscale factor (antialiasing), its
 *    fixed-point coefficients (22 fraction bits) and its rounding to 8 bits after each pass;
 * 2. center crop (DeiT), on the 8-bit resized image: top = (H − h) // 2, left = (W − w) // 2, zeros where the
 *    image is smaller than the crop (transformers' image_transforms.center_crop);
 * 3. rescale: uint8 · rescale_factor in float64, then cast to float32;
 * 4. normalize: (x − mean) / std per channel in float32;
 * 5. HWC → CHW.
 * Pure TypeScript: the browser worker and the CLI run the same code. Checked against real PIL on committed images
 * (scripts/pil-reference.py → test/fixtures/pil-reference/, test/engine/pil-reference.test.ts).
 */
import { fail } from './errors';
import { channelNames, type RawImage } from './image-decode';
import type { PixelValues } from './inputs';
import type { ImageProcessorConfig, VisionConfig } from './types';

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** PIL's filter numbers (PIL.Image.Resampling), as preprocessor_config.json's "resample" gives them. */
export const RESAMPLE_NAMES: Record<number, string> = { 0: 'NEAREST', 1: 'LANCZOS', 2: 'BILINEAR', 3: 'BICUBIC', 4: 'BOX', 5: 'HAMMING' };
/** The filters pilResize implements exactly. */
export const RESAMPLE_IMPLEMENTED = [0, 2, 3, 4] as const;

type Processor = ImageProcessorConfig['processor'];

/** Each processor's defaults (transformers' ViTImageProcessor / DeiTImageProcessor __init__). */
const DEFAULTS: Record<Processor, { size: { height: number; width: number } | null; resample: number; crop: { height: number; width: number } | null }> = {
  // size null: the model's own image size (ViTImageProcessor's is 224×224, the size of every ViT it ships with).
  ViTImageProcessor: { size: null, resample: 2, crop: null },
  DeiTImageProcessor: { size: { height: 256, width: 256 }, resample: 3, crop: { height: 224, width: 224 } },
};

/**
 * Which processor AutoImageProcessor builds from preprocessor_config.json for a `vit` model: "image_processor_type",
 * else "feature_extractor_type" (…FeatureExtractor → …ImageProcessor), else the model type's own, ViTImageProcessor.
 */
function processorOf(c: Record<string, unknown>): Processor {
  const key = c.image_processor_type !== undefined && c.image_processor_type !== null ? 'image_processor_type' : c.feature_extractor_type !== undefined && c.feature_extractor_type !== null ? 'feature_extractor_type' : null;
  if (key === null) return 'ViTImageProcessor';
  const raw = c[key];
  if (typeof raw !== 'string') fail(`preprocessor_config.json: "${key}" must be a string (got ${show(raw)})`);
  const name = raw.replace(/FeatureExtractor$/, 'ImageProcessor');
  if (name === 'ViTImageProcessor' || name === 'DeiTImageProcessor') return name;
  if (name === 'ViTImageProcessorFast' || name === 'DeiTImageProcessorFast') {
    fail(`preprocessor_config.json: "${key}" "${raw}" (torchvision's resize on float tensors) is not implemented; the PIL-based ViTImageProcessor and DeiTImageProcessor are`);
  }
  return fail(`preprocessor_config.json: "${key}" "${raw}" is not implemented (ViTImageProcessor and DeiTImageProcessor are, with their older names ViTFeatureExtractor and DeiTFeatureExtractor)`);
}

/**
 * A size as transformers' get_size_dict reads it for these processors: an integer is a square, [height, width] a
 * pair, {"height", "width"} as it is; {"shortest_edge"} is refused (ViT's and DeiT's resize refuse it too).
 */
function sizeField(c: Record<string, unknown>, key: string, fallback: { height: number; width: number }): { height: number; width: number } {
  const v = c[key] ?? fallback;
  const dim = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;
  if (dim(v)) return { height: v, width: v };
  if (Array.isArray(v) && v.length === 2 && v.every(dim)) return { height: v[0], width: v[1] };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const s = v as Record<string, unknown>;
    if (dim(s.height) && dim(s.width) && Object.keys(s).every((k) => k === 'height' || k === 'width')) return { height: s.height, width: s.width };
    if ('shortest_edge' in s || 'longest_edge' in s) {
      fail(`preprocessor_config.json: "${key}" ${show(v)} is not implemented: ViTImageProcessor and DeiTImageProcessor resize to {"height": H, "width": W} only (Hugging Face refuses a shortest or longest edge for them too)`);
    }
  }
  return fail(`preprocessor_config.json: "${key}" must be an integer or {"height": H, "width": W} (got ${show(v)})`);
}

/**
 * preprocessor_config.json read against the model's vision config, as the processor it names (ViTImageProcessor
 * when it names none) reads it: absent fields take that processor's defaults (ViT: `size` the model's image size,
 * bilinear, no crop; DeiT: 256×256, bicubic, center crop 224×224); fields the processor does not read are ignored as
 * it ignores them. A processor or a setting the engine does not implement is refused, naming the field.
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
  const processor = processorOf(c);
  const d = DEFAULTS[processor];
  const bool = (k: string, def: boolean) => {
    const v = c[k] ?? def;
    if (typeof v !== 'boolean') fail(`preprocessor_config.json: "${k}" must be true or false (got ${show(c[k])})`);
    return v;
  };
  let resize: ImageProcessorConfig['resize'] = null;
  if (bool('do_resize', true)) {
    const s = sizeField(c, 'size', d.size ?? { height: vision.imageSize[0], width: vision.imageSize[1] });
    const resample = c.resample ?? d.resample;
    if (typeof resample !== 'number' || !Number.isInteger(resample) || !(resample in RESAMPLE_NAMES)) {
      fail(`preprocessor_config.json: "resample" must be a PIL filter number, 0 to 5 (got ${show(resample)})`);
    }
    resize = { height: s.height, width: s.width, resample };
  }
  let centerCrop: ImageProcessorConfig['centerCrop'] = null;
  // ViTImageProcessor has no center crop: it ignores "do_center_crop" and "crop_size" as it ignores any unknown field.
  if (d.crop && bool('do_center_crop', true)) centerCrop = sizeField(c, 'crop_size', d.crop);
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
  return { processor, resize, centerCrop, rescale, normalize };
}

/** Steps 0–2 (channels, resize, crop) on 8-bit pixels: the image the model sees, before rescaling. */
export function preprocessPixels(img: RawImage, vision: VisionConfig, name = 'the image'): RawImage {
  const p = vision.preprocess;
  let pixels = convertChannels(img, vision.channels, name);
  if (p.resize && (pixels.width !== p.resize.width || pixels.height !== p.resize.height)) {
    const r = p.resize.resample;
    if (!(RESAMPLE_IMPLEMENTED as readonly number[]).includes(r)) {
      fail(`${name} is ${pixels.width}×${pixels.height} and needs resizing to ${p.resize.width}×${p.resize.height}, but preprocessor_config.json's "resample" ${r} (${RESAMPLE_NAMES[r]}) is not implemented (${RESAMPLE_IMPLEMENTED.map((k) => `${k} ${RESAMPLE_NAMES[k]}`).join(', ')} are)`);
    }
    pixels = pilResize(pixels, p.resize.width, p.resize.height, r);
  }
  if (p.centerCrop) pixels = centerCrop(pixels, p.centerCrop.height, p.centerCrop.width);
  const [H, W] = vision.imageSize;
  if (pixels.width !== W || pixels.height !== H) fail(`${name} is ${pixels.width}×${pixels.height} after preprocessing; the model takes ${W}×${H}`);
  return pixels;
}

/** 8-bit pixels at the model's size and channels → pixel values [C, H, W] (steps 3–5). */
export function pixelValues(pixels: RawImage, p: ImageProcessorConfig): PixelValues {
  const { width: W, height: H, channels: C } = pixels;
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

/** Decoded pixels → pixel values [C, H, W] for a model, with the 8-bit image they came from (for display). */
export function preprocessImageWithPixels(img: RawImage, vision: VisionConfig, name = 'the image'): { values: PixelValues; pixels: RawImage } {
  const pixels = preprocessPixels(img, vision, name);
  return { values: pixelValues(pixels, vision.preprocess), pixels };
}

/** Decoded pixels → pixel values [C, H, W] for a model (the steps above). */
export function preprocessImage(img: RawImage, vision: VisionConfig, name = 'the image'): PixelValues {
  return preprocessImageWithPixels(img, vision, name).values;
}

/**
 * The image with `channels` channels, as PIL's Image.convert does: to RGB (3) from L (gray replicated), LA (gray
 * replicated, alpha dropped) or RGBA (alpha dropped, no compositing); to L (1) from RGB or RGBA (L = (R·19595 +
 * G·38470 + B·7471 + 32768) >> 16, PIL's fixed-point ITU-R 601-2 luma; alpha ignored) or LA (alpha dropped).
 */
export function convertChannels(img: RawImage, channels: number, name = 'the image'): RawImage {
  const from = img.channels;
  if (from === channels) return img;
  const n = img.width * img.height;
  const src = img.data;
  const out = new Uint8Array(n * channels);
  if (channels === 3 && (from === 1 || from === 2 || from === 4)) {
    for (let i = 0; i < n; i++) {
      if (from === 4) out.set(src.subarray(i * 4, i * 4 + 3), i * 3);
      else out.fill(src[i * from], i * 3, i * 3 + 3);
    }
  } else if (channels === 1 && (from === 2 || from === 3 || from === 4)) {
    for (let i = 0; i < n; i++) {
      const s = i * from;
      out[i] = from === 2 ? src[s] : (src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >>> 16;
    }
  } else {
    fail(`${name} has ${from} channels (${channelNames(from)}); the model takes ${channels} (${channelNames(channels)}), and only conversion to RGB or grayscale is implemented`);
  }
  return { width: img.width, height: img.height, channels, data: out };
}

/** transformers' center_crop on 8-bit pixels: the (height, width) window at ((H − height) // 2, (W − width) // 2), zeros outside the image. */
export function centerCrop(img: RawImage, height: number, width: number): RawImage {
  if (img.height === height && img.width === width) return img;
  const C = img.channels;
  const top = Math.floor((img.height - height) / 2);
  const left = Math.floor((img.width - width) / 2);
  const data = new Uint8Array(height * width * C);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(width, img.width - left);
    if (x1 > x0) data.set(img.data.subarray((sy * img.width + x0 + left) * C, (sy * img.width + x1 + left) * C), (y * width + x0) * C);
  }
  return { width, height, channels: C, data };
}

// ---------------------------------------------------------------------------------------------------------------
// PIL's Image.resize on 8-bit images (Pillow's libImaging/Resample.c and Geometry.c), written from their arithmetic.

const PRECISION_BITS = 32 - 8 - 2;

/** A separable filter of Resample.c: its support at scale 1 and its kernel, in float64 exactly as PIL evaluates it. */
interface Filter {
  support: number;
  f: (x: number) => number;
}

const FILTERS: Record<number, Filter> = {
  // BOX
  4: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  // BILINEAR (triangle)
  2: {
    support: 1,
    f: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  // BICUBIC: the bicubic convolution kernel with a = −0.5
  3: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

/** PIL's precompute_coeffs + normalize_coeffs_8bpc: per output index, the first input index and integer weights. */
function coefficients(inSize: number, outSize: number, filter: Filter): { bounds: Int32Array; weights: Int32Array[] } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ss = 1 / filterscale;
  const bounds = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const k = new Float64Array(Math.max(xmax, 0));
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.f((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    // Normalised, then to fixed point as normalize_coeffs_8bpc rounds them (half away from zero).
    const fixed = new Int32Array(k.length);
    for (let x = 0; x < k.length; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      fixed[x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    weights.push(fixed);
    bounds[xx] = xmin;
  }
  return { bounds, weights };
}

/** PIL's clip8: the fixed-point sum >> PRECISION_BITS (arithmetic shift), clamped to 0..255. */
const clip8 = (v: number) => {
  const s = Math.floor(v / 2 ** PRECISION_BITS);
  return s < 0 ? 0 : s > 255 ? 255 : s;
};

/** One pass of ImagingResampleHorizontal/Vertical_8bpc along `axis`, rounded to 8 bits. */
function resamplePass(img: RawImage, outSize: number, axis: 'x' | 'y', filter: Filter): RawImage {
  const { width: W, height: H, channels: C } = img;
  const inSize = axis === 'x' ? W : H;
  const { bounds, weights } = coefficients(inSize, outSize, filter);
  const ow = axis === 'x' ? outSize : W;
  const oh = axis === 'x' ? H : outSize;
  const data = new Uint8Array(ow * oh * C);
  // Input stride along the resampled axis, and the output's index of (row, column).
  const step = axis === 'x' ? C : W * C;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const o = axis === 'x' ? x : y;
      const k = weights[o];
      const base = axis === 'x' ? (y * W + bounds[o]) * C : (bounds[o] * W + x) * C;
      for (let c = 0; c < C; c++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let i = 0; i < k.length; i++) ss += img.data[base + i * step + c] * k[i];
        data[(y * ow + x) * C + c] = clip8(ss);
      }
    }
  }
  return { width: ow, height: oh, channels: C, data };
}

/** PIL's NEAREST resize: ImagingScaleAffine with a = [W/w, 0, 0, 0, H/h, 0], source coordinates accumulated in float64. */
function pilNearest(img: RawImage, width: number, height: number): RawImage {
  const C = img.channels;
  const a0 = img.width / width;
  const a4 = img.height / height;
  const coord = (v: number) => (v < 0 ? -1 : Math.trunc(v));
  const xin = new Int32Array(width).fill(-1);
  let xo = a0 * 0.5;
  for (let x = 0; x < width; x++) {
    const xi = coord(xo);
    if (xi >= 0 && xi < img.width) xin[x] = xi;
    xo += a0;
  }
  const data = new Uint8Array(width * height * C);
  let yo = a4 * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < img.height) {
      for (let x = 0; x < width; x++) {
        if (xin[x] >= 0) for (let c = 0; c < C; c++) data[(y * width + x) * C + c] = img.data[(yi * img.width + xin[x]) * C + c];
      }
    }
    yo += a4;
  }
  return { width, height, channels: C, data };
}

/**
 * PIL's Image.resize((width, height), resample) on 8-bit pixels (L, RGB; any channel count, each channel alike):
 * 0 NEAREST, 2 BILINEAR, 3 BICUBIC, 4 BOX. The same size is returned as it is (PIL copies it).
 */
export function pilResize(img: RawImage, width: number, height: number, resample: number): RawImage {
  if (width === img.width && height === img.height) return img;
  if (resample === 0) return pilNearest(img, width, height);
  const filter = FILTERS[resample];
  if (!filter) fail(`resample ${resample} (${RESAMPLE_NAMES[resample] ?? 'unknown'}) is not implemented (${RESAMPLE_IMPLEMENTED.map((k) => `${k} ${RESAMPLE_NAMES[k]}`).join(', ')} are)`);
  let cur = img;
  if (width !== img.width) cur = resamplePass(cur, width, 'x', filter);
  if (height !== img.height) cur = resamplePass(cur, height, 'y', filter);
  return cur;
}

/** PIL's Image.resize(size, resample=BILINEAR) on 8-bit pixels. */
export function pilBilinear(img: RawImage, width: number, height: number): RawImage {
  return pilResize(img, width, height, 2);
}

/** PIL's Image.resize(size, resample=BICUBIC) on 8-bit pixels. */
export function pilBicubic(img: RawImage, width: number, height: number): RawImage {
  return pilResize(img, width, height, 3);
}
