/**
 * The bundled vision model (public/models/digits-vit): loaded through the engine's loader, it classifies the fixed
 * test subset and the whole held-out set of the mnist package's digits, and the accuracies must agree within 1% with
 * the figures its model card and metrics.json state. Its example images decode and preprocess to exactly the digits
 * they name, and the model predicts on them what examples/index.json says.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { decodeImage } from '../../src/engine/image-decode';
import { preprocessImage } from '../../src/engine/image-preprocess';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { digitById, digitSplit, digitTestSubset, pixelValues, TEST_SUBSET_PER_DIGIT } from '../../src/train/vision-data';
import { evaluateDigits } from '../../src/train/vision-eval';
import { modelClassifier } from '../../src/train/vision-forward';

const DIR = join('public', 'models', 'digits-vit');
const has = existsSync(join(DIR, 'metrics.json')) && existsSync(join(DIR, 'model.safetensors'));
const metrics = () => JSON.parse(readFileSync(join(DIR, 'metrics.json'), 'utf8'));
let model: Model;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await initBackend('wasm');
  if (has) model = await loadModelDir(DIR);
});
afterAll(() => model?.dispose());

describe.skipIf(!has)('digits-vit', () => {
  it('loads as a 28×28 one-channel ViT with the labels 0…9 and its own preprocessing', () => {
    const v = model.config.vision!;
    expect(model.config.modelType).toBe('vit');
    expect(v).toMatchObject({ imageSize: [28, 28], channels: 1, labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(v.preprocess).toEqual({ processor: 'ViTImageProcessor', resize: { height: 28, width: 28, resample: 2 }, centerCrop: null, rescale: 1 / 255, normalize: { mean: [0.1307], std: [0.3081] } });
    expect(model.paramCount).toBe(metrics().parameters);
  });

  it('classifies the fixed test subset (500 held-out digits) with the accuracy metrics.json states, within 1%', async () => {
    const m = metrics();
    const subset = digitTestSubset();
    expect(subset).toHaveLength(10 * TEST_SUBSET_PER_DIGIT);
    expect(m.test_subset.images).toBe(subset.length);
    const got = await evaluateDigits(modelClassifier(model), subset);
    expect(Math.abs(got.accuracy - m.test_subset.accuracy)).toBeLessThanOrEqual(0.01);
  });

  it('classifies the whole held-out set with the accuracy of the model card, within 1%, and reaches the 97% target', async () => {
    const m = metrics();
    const { heldOut } = digitSplit();
    const got = await evaluateDigits(modelClassifier(model), heldOut);
    expect(m.held_out.images).toBe(heldOut.length);
    expect(Math.abs(got.accuracy - m.held_out.accuracy)).toBeLessThanOrEqual(0.01);
    // The card states the figure metrics.json holds.
    const card = readFileSync(join(DIR, 'MODEL.md'), 'utf8');
    expect(card).toContain(`**Held-out accuracy: ${(100 * m.held_out.accuracy).toFixed(2)}%**`);
    // The confusion matrix stored is the one recomputed (up to the images within the 1% tolerance).
    const moved = got.confusion.flat().reduce((s, n, i) => s + Math.abs(n - m.held_out.confusion.flat()[i]), 0);
    expect(moved / 2).toBeLessThanOrEqual(0.01 * heldOut.length);
    expect(m.held_out.accuracy).toBeGreaterThanOrEqual(0.97);
  });

  it('example PNGs are held-out digits that decode and preprocess to exactly their pixel values; predictions as indexed', async () => {
    const index = JSON.parse(readFileSync(join(DIR, 'examples', 'index.json'), 'utf8'));
    const held = new Set(digitSplit().heldOut.map((d) => d.id));
    expect(index.images.length).toBeGreaterThanOrEqual(10);
    for (let label = 0; label < 10; label++) expect(index.images.some((e: { label: number }) => e.label === label), `digit ${label}`).toBe(true);
    const decoded = [];
    for (const e of index.images as Array<{ id: string; file: string; label: number; predicted: number }>) {
      expect(held.has(e.id), e.id).toBe(true);
      const digit = digitById(e.id);
      expect(digit.label).toBe(e.label);
      const img = decodeImage(new Uint8Array(readFileSync(join(DIR, 'examples', e.file))), e.file);
      expect([img.width, img.height, img.channels]).toEqual([28, 28, 1]);
      expect(Array.from(img.data)).toEqual(Array.from(digit.pixels));
      const px = preprocessImage(img, model.config.vision!, e.file);
      expect(Array.from(px.data)).toEqual(Array.from(pixelValues([digit])));
      decoded.push(digit);
    }
    const got = await evaluateDigits(modelClassifier(model), decoded);
    expect(got.predictions).toEqual(index.images.map((e: { predicted: number }) => e.predicted));
  });
});
