/**
 * What one sequence of a run reads: token ids (text models) or one preprocessed image (vision models), and the
 * few facts analyses need about it whatever it is: its token count, the position the prediction is read at, which
 * positions can influence that prediction, and a batch of copies as a RunRequest's input.
 */
import { fail } from './errors';
import { isCausal, type ModelConfig, type RunRequest, type TensorData } from './types';

/** One image's pixel values, channels first: shape [C, H, W] (src/engine/image-preprocess.ts makes them). */
export type PixelValues = TensorData;

/** Token ids, or for a vision model one image's pixel values [C, H, W]. */
export type ModelInput = number[] | PixelValues;

export const isPixels = (x: ModelInput): x is PixelValues => !Array.isArray(x);

/** Checks that an input is the kind the model takes (and an image its shape); returns its token count T. */
export function inputTokens(cfg: ModelConfig, x: ModelInput): number {
  if (!cfg.vision) {
    if (isPixels(x)) fail(`this ${cfg.modelType} model reads token ids, not an image`);
    return x.length;
  }
  if (!isPixels(x)) fail(`this ${cfg.modelType} model classifies images: give pixel values (an image), not token ids`);
  checkPixelShape(cfg, x.shape.length === 3 ? [1, ...x.shape] : x.shape, 'the image');
  return cfg.nCtx;
}

/** Refuses pixel values whose shape is not [B, C, H, W] of the model's channels and size. */
export function checkPixelShape(cfg: ModelConfig, shape: number[], what: string): void {
  const v = cfg.vision!;
  const [H, W] = v.imageSize;
  if (shape.length !== 4) fail(`${what}: pixel values must be [batch, channels, height, width] (got [${shape.join(', ')}])`);
  if (shape[1] !== v.channels) fail(`${what} has ${shape[1]} channels; the model takes ${v.channels}`);
  if (shape[2] !== H || shape[3] !== W) fail(`${what} is ${shape[3]}×${shape[2]} pixels; the model takes ${W}×${H} (preprocess it first)`);
}

/** The position whose output a target reads when none is given: the last token, or [CLS] (0) for vision models. */
export function outputPosition(cfg: ModelConfig, T: number): number {
  return cfg.vision ? 0 : T - 1;
}

/**
 * How many leading positions can influence the prediction read at position p: p + 1 under causal attention,
 * every one of the T otherwise.
 */
export function influencingLength(cfg: ModelConfig, T: number, p: number): number {
  return isCausal(cfg) ? p + 1 : T;
}

/** The input cut to the positions that influence position p (all of it for an image or non-causal model). */
export function inputPrefix(cfg: ModelConfig, x: ModelInput, p: number): ModelInput {
  if (isPixels(x) || !isCausal(cfg)) return x;
  return x.slice(0, p + 1);
}

/** B copies of one input as a RunRequest's input field. */
export function batchInput(x: ModelInput, B: number): Pick<RunRequest, 'inputIds' | 'pixelValues'> {
  return batchInputs(Array.from({ length: B }, () => x));
}

/** Several inputs of one kind as a RunRequest's input field. */
export function batchInputs(xs: ModelInput[]): Pick<RunRequest, 'inputIds' | 'pixelValues'> {
  if (xs.length === 0) fail('at least one input is needed');
  if (!isPixels(xs[0])) return { inputIds: xs as number[][] };
  const one = xs[0].shape.length === 3 ? xs[0].shape : xs[0].shape.slice(1);
  const n = one.reduce((a, b) => a * b, 1);
  const data = new Float32Array(xs.length * n);
  xs.forEach((x, b) => {
    if (!isPixels(x) || x.data.length !== n) fail('all images of one run must have the same shape');
    data.set(x.data, b * n);
  });
  return { pixelValues: { shape: [xs.length, ...one], data } };
}

/**
 * Pixel values [B, C, H, W] → patch rows [B, P, C·p·p]: patch (r, c) of the grid is row r·(W/p) + c, its pixels in
 * (channel, y, x) order, so that a row times the patch projection equals the Conv2d of kernel = stride = p.
 */
export function unfoldPatches(cfg: ModelConfig, pixels: TensorData): Float32Array {
  const v = cfg.vision!;
  checkPixelShape(cfg, pixels.shape, 'pixelValues');
  const [B, C, H, W] = pixels.shape;
  if (pixels.data.length !== B * C * H * W) fail(`pixelValues: ${pixels.data.length} values for the shape [${pixels.shape.join(', ')}]`);
  const p = v.patchSize;
  const [gh, gw] = v.grid;
  const F = C * p * p;
  const out = new Float32Array(B * gh * gw * F);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < gh; r++) {
      for (let c = 0; c < gw; c++) {
        for (let ch = 0; ch < C; ch++) {
          for (let y = 0; y < p; y++) {
            const src = ((b * C + ch) * H + r * p + y) * W + c * p;
            for (let x = 0; x < p; x++) out[o++] = pixels.data[src + x];
          }
        }
      }
    }
  }
  return out;
}
