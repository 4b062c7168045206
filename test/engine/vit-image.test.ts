import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import * as jpegJs from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { PathlightError } from '../../src/engine/errors';
import { decodeImage, type RawImage } from '../../src/engine/image-decode';
import { loadImageFile } from '../../src/engine/image-node';
import { parseImageProcessor, pilBicubic, pilBilinear, preprocessImage } from '../../src/engine/image-preprocess';
import { parseConfig } from '../../src/engine/config';
import { readFileSync } from 'node:fs';
import { VIT_DIR, vitReference } from './vit-fixture';

const ref = vitReference();
const cfg = parseConfig(readFileSync(join(VIT_DIR, 'config.json'), 'utf8'));
const vision = { ...cfg.vision!, preprocess: parseImageProcessor(readFileSync(join(VIT_DIR, 'preprocessor_config.json'), 'utf8'), cfg.vision!) };
const visionCfg = { ...cfg, vision };
const rawImage: RawImage = { width: 32, height: 32, channels: 3, data: Uint8Array.from(ref.raw_image_uint8.data) };
const dir = mkdtempSync(join(tmpdir(), 'pathlight-vit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const jpegEncode = ((jpegJs as unknown as { encode?: typeof jpegJs.encode }).encode ?? (jpegJs as unknown as { default: typeof jpegJs }).default.encode);

describe('vit-tiny preprocessing of the raw image', () => {
  it('gives the reference pixel_values (rescale in float64, normalize, HWC → CHW) within 1e-6', () => {
    expect(ref.raw_image_uint8.shape).toEqual([32, 32, 3]);
    const px = preprocessImage(rawImage, vision);
    expect(px.shape).toEqual(ref.pixel_values.shape);
    expect(maxDiff(px.data, ref.pixel_values.data)).toBeLessThanOrEqual(1e-6);
  });

  it('gives the same values through a PNG file written and decoded back', async () => {
    const file = join(dir, 'raw.png');
    writeFileSync(file, encodePng({ width: 32, height: 32, data: rawImage.data, channels: 3, depth: 8 }));
    const decoded = decodeImage(new Uint8Array(readFileSync(file)));
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([32, 32, 3]);
    expect(Array.from(decoded.data)).toEqual(ref.raw_image_uint8.data);
    const px = await loadImageFile(file, visionCfg);
    expect(maxDiff(px.data, ref.pixel_values.data)).toBeLessThanOrEqual(1e-6);
  });

  it('an RGBA or grayscale PNG for an RGB model is converted as PIL\'s convert("RGB") does (alpha dropped, gray replicated)', async () => {
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) rgba.set([rawImage.data[i * 3], rawImage.data[i * 3 + 1], rawImage.data[i * 3 + 2], i % 256], i * 4);
    const f4 = join(dir, 'rgba.png');
    writeFileSync(f4, encodePng({ width: 32, height: 32, data: rgba, channels: 4, depth: 8 }));
    // The alpha is dropped without compositing: the same pixel values as the RGB image.
    expect(maxDiff((await loadImageFile(f4, visionCfg)).data, ref.pixel_values.data)).toBeLessThanOrEqual(1e-6);
    const gray = Uint8Array.from({ length: 32 * 32 }, (_, i) => (i * 7) % 256);
    const f1 = join(dir, 'gray.png');
    writeFileSync(f1, encodePng({ width: 32, height: 32, data: gray, channels: 1, depth: 8 }));
    const px = await loadImageFile(f1, visionCfg);
    for (const c of [0, 1, 2]) expect(px.data[c * 32 * 32 + 5]).toBeCloseTo(((gray[5] / 255) - 0.5) / 0.5, 6);
    // A model of two channels takes no conversion.
    expect(() => preprocessImage(rawImage, { ...vision, channels: 2 })).toThrow(/the image has 3 channels \(RGB\); the model takes 2 \(grayscale \+ alpha\), and only conversion to RGB or grayscale is implemented/);
  });

  it('a corrupt PNG, a file that is no image and a missing file get their own messages', async () => {
    const good = encodePng({ width: 32, height: 32, data: rawImage.data, channels: 3, depth: 8 });
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, good.subarray(0, 60));
    const err = await loadImageFile(cut, visionCfg).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(PathlightError);
    expect(err.message).toMatch(/cut\.png is a corrupt PNG/);
    const text = join(dir, 'notes.png');
    writeFileSync(text, 'not an image');
    await expect(loadImageFile(text, visionCfg)).rejects.toThrow(/notes\.png is not a PNG or JPEG image/);
    await expect(loadImageFile(join(dir, 'absent.png'), visionCfg)).rejects.toThrow(/absent\.png does not exist/);
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]), 'x.jpg')).toThrow(/x\.jpg is a corrupt JPEG/);
  });

  it('a JPEG decodes to RGB close to the image it encodes (quality 100) and is resized when its size differs', async () => {
    const rgba = new Uint8Array(64 * 48 * 4);
    for (let i = 0; i < 64 * 48; i++) rgba.set([(i * 7) % 256, 128, 255 - ((i * 3) % 256), 255], i * 4);
    const file = join(dir, 'photo.jpg');
    writeFileSync(file, jpegEncode({ width: 64, height: 48, data: rgba }, 100).data);
    const d = decodeImage(new Uint8Array(readFileSync(file)));
    expect([d.width, d.height, d.channels]).toEqual([64, 48, 3]);
    let err = 0;
    for (let i = 0; i < 64 * 48; i++) for (let c = 0; c < 3; c++) err += Math.abs(d.data[i * 3 + c] - rgba[i * 4 + c]);
    expect(err / (64 * 48 * 3)).toBeLessThan(3);
    const px = await loadImageFile(file, visionCfg);
    expect(px.shape).toEqual([3, 32, 32]);
    // Resized by the same bilinear filter, then rescaled and normalised.
    const small = pilBilinear(d, 32, 32);
    expect(px.data[0]).toBeCloseTo((small.data[0] / 255 - 0.5) / 0.5, 6);
  });
});

describe('bilinear resize as PIL computes it (resample=2)', () => {
  const row = (data: number[], width: number, height = 1): RawImage => ({ width, height, channels: 1, data: Uint8Array.from(data) });
  it('upscaling 2 → 4 interpolates at half-pixel centres: [a, ¾a + ¼b, ¼a + ¾b, b]', () => {
    expect(Array.from(pilBilinear(row([0, 200], 2), 4, 1).data)).toEqual([0, 50, 150, 200]);
    // 2×2 → 4×4 is the same filter along each axis.
    const up = pilBilinear(row([0, 200, 100, 20], 2, 2), 4, 4);
    const col0 = [0, 25, 75, 100];
    expect([0, 1, 2, 3].map((y) => up.data[y * 4])).toEqual(col0);
    expect(Array.from(up.data.subarray(12, 16))).toEqual([100, 80, 40, 20]);
  });
  it('downscaling by 2 widens the triangle filter to support 2 (antialiasing), renormalised at the edges', () => {
    // Output 0: pixels 0..2 with weights 3/7, 3/7, 1/7; output 1: pixels 1..3 with 1/7, 3/7, 3/7.
    expect(Array.from(pilBilinear(row([0, 70, 140, 210], 4), 2, 1).data)).toEqual([50, 160]);
    // Interior outputs of a longer row: weights 1/8, 3/8, 3/8, 1/8.
    const long = pilBilinear(row([0, 0, 80, 160, 0, 0, 0, 0], 8), 4, 1);
    expect(long.data[1]).toBe(Math.round((0 * 1 + 80 * 3 + 160 * 3 + 0 * 1) / 8));
  });
  it('the same size is left as it is, and every step of preprocessing can be switched off', () => {
    const p = parseImageProcessor({ do_resize: false, do_rescale: false, do_normalize: false }, cfg.vision!);
    expect(p).toEqual({ processor: 'ViTImageProcessor', resize: null, centerCrop: null, rescale: null, normalize: null });
    const px = preprocessImage(rawImage, { ...vision, preprocess: p });
    expect(px.data[0]).toBe(ref.raw_image_uint8.data[0]);
    expect(px.data[32 * 32]).toBe(ref.raw_image_uint8.data[1]);
  });
  it('settings that are not implemented are refused naming the field', () => {
    expect(() => parseImageProcessor({ size: { shortest_edge: 224 } }, cfg.vision!)).toThrow(/"size" \{"shortest_edge":224\} is not implemented: ViTImageProcessor and DeiTImageProcessor resize to \{"height": H, "width": W\} only/);
    expect(() => parseImageProcessor({ image_processor_type: 'DeiTImageProcessor', crop_size: { shortest_edge: 224 } }, cfg.vision!)).toThrow(/"crop_size" \{"shortest_edge":224\} is not implemented/);
    expect(() => parseImageProcessor({ size: 'big' }, cfg.vision!)).toThrow(/"size" must be an integer or \{"height": H, "width": W\} \(got "big"\)/);
    expect(() => parseImageProcessor({ image_mean: [0.5, 0.5] }, cfg.vision!)).toThrow(/"image_mean" must hold 3 numbers/);
    expect(() => parseImageProcessor({ resample: 7 }, cfg.vision!)).toThrow(/"resample" must be a PIL filter number, 0 to 5 \(got 7\)/);
    expect(() => parseImageProcessor({ image_processor_type: 'ConvNextImageProcessor' }, cfg.vision!)).toThrow(/"image_processor_type" "ConvNextImageProcessor" is not implemented \(ViTImageProcessor and DeiTImageProcessor are/);
    expect(() => parseImageProcessor({ image_processor_type: 'ViTImageProcessorFast' }, cfg.vision!)).toThrow(/"image_processor_type" "ViTImageProcessorFast" \(torchvision's resize on float tensors\) is not implemented/);
    expect(() => parseImageProcessor({ image_processor_type: 'DeiTImageProcessor', do_center_crop: 'yes' }, cfg.vision!)).toThrow(/"do_center_crop" must be true or false/);
    // LANCZOS and HAMMING parse, and are refused once an image needs resizing.
    const lanczos = { ...vision, preprocess: parseImageProcessor({ resample: 1 }, cfg.vision!) };
    expect(() => preprocessImage({ width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3) }, lanczos)).toThrow(/is 64×64 and needs resizing to 32×32, but preprocessor_config.json's "resample" 1 \(LANCZOS\) is not implemented \(0 NEAREST, 2 BILINEAR, 3 BICUBIC, 4 BOX are\)/);
    expect(preprocessImage(rawImage, lanczos).shape).toEqual([3, 32, 32]);
  });
});

describe('the processor named in preprocessor_config.json and its defaults', () => {
  it('DeiT (facebook/deit-*-patch16-224, old and new forms): resize 256 bicubic, center crop 224, ImageNet mean and std', () => {
    const v224 = { imageSize: [224, 224] as [number, number], channels: 3 };
    const old = { crop_size: 224, do_center_crop: true, do_normalize: true, do_resize: true, feature_extractor_type: 'DeiTFeatureExtractor', image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225], resample: 3, size: 256 };
    const want = { processor: 'DeiTImageProcessor', resize: { height: 256, width: 256, resample: 3 }, centerCrop: { height: 224, width: 224 }, rescale: 1 / 255, normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } };
    expect(parseImageProcessor(old, v224)).toEqual(want);
    const newer = { ...old, feature_extractor_type: undefined, image_processor_type: 'DeiTImageProcessor', size: { height: 256, width: 256 }, crop_size: { height: 224, width: 224 }, rescale_factor: 0.00392156862745098, do_rescale: true };
    expect(parseImageProcessor(newer, v224)).toEqual(want);
    // DeiTImageProcessor's own defaults when the fields are absent (mean and std 0.5, as in transformers).
    expect(parseImageProcessor({ image_processor_type: 'DeiTImageProcessor' }, v224)).toEqual({ ...want, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } });
    expect(parseImageProcessor({ image_processor_type: 'DeiTImageProcessor', do_center_crop: false }, v224).centerCrop).toBeNull();
  });

  it('ViT (google/vit-base-patch16-224): resize 224 bilinear, mean = std = 0.5; it has no crop, and ignores crop fields as transformers does', () => {
    const v224 = { imageSize: [224, 224] as [number, number], channels: 3 };
    const cfg224 = { do_normalize: true, do_resize: true, feature_extractor_type: 'ViTFeatureExtractor', image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2, size: 224 };
    const want = { processor: 'ViTImageProcessor', resize: { height: 224, width: 224, resample: 2 }, centerCrop: null, rescale: 1 / 255, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } };
    expect(parseImageProcessor(cfg224, v224)).toEqual(want);
    expect(parseImageProcessor({ ...cfg224, do_center_crop: true, crop_size: 200 }, v224)).toEqual(want);
    expect(parseImageProcessor({ size: [224, 200] }, v224).resize).toEqual({ height: 224, width: 200, resample: 2 });
  });

  it('DeiT preprocessing of an image: resized by PIL\'s bicubic filter, then cropped from the middle', () => {
    const deit = { ...vision, preprocess: parseImageProcessor({ image_processor_type: 'DeiTImageProcessor', size: 40, crop_size: 32, do_normalize: false, do_rescale: false }, cfg.vision!) };
    const img: RawImage = { width: 50, height: 37, channels: 3, data: Uint8Array.from({ length: 50 * 37 * 3 }, (_, i) => (i * 31) % 256) };
    const px = preprocessImage(img, deit);
    const big = pilBicubic(img, 40, 40);
    // top = left = (40 − 32) // 2 = 4
    for (const [y, x, c] of [[0, 0, 0], [5, 17, 2], [31, 31, 1]]) expect(px.data[(c * 32 + y) * 32 + x]).toBe(big.data[((y + 4) * 40 + x + 4) * 3 + c]);
  });
});
