import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classPaths } from '../../src/analysis/class-paths';
import { loadImageFile } from '../../src/engine/image-node';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { Supersede } from '../../src/worker/cancel';
import { bundledExamples, classPathsApi } from '../../src/worker/class-paths-api';
import { Scheduler } from '../../src/worker/scheduler';
import { stubFolderFetch } from './folder-fetch';

/** The worker's class-paths request on digits-vit, its examples served from public/ by a stand-in fetch. */
const FOLDER = 'http://pathlight.test/models/digits-vit/';
const PUBLIC = join(process.cwd(), 'public/models/digits-vit/');
let model: Model;

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = await loadModelDir('digits-vit');
  stubFolderFetch(FOLDER, PUBLIC);
}, 120_000);
afterAll(() => {
  vi.unstubAllGlobals();
  model?.dispose();
});

const api = (folder: string | null = FOLDER, streams = new Supersede()) => classPathsApi({ streams, scheduler: new Scheduler(), requireModel: () => model, modelFolder: () => folder });

describe('classPaths in the worker', () => {
  it('the bundled examples: the first N of each class in the index’s order, preprocessed as the CLI reads the files', async () => {
    const index = JSON.parse(await readFile(PUBLIC + 'examples/index.json', 'utf8')) as { images: Array<{ id: string; file: string; label: number }> };
    const got = await bundledExamples(model, FOLDER, 2);
    const want = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((c) => index.images.filter((e) => e.label === c).slice(0, 2));
    expect(got.map((g) => g.id).sort()).toEqual(want.map((w) => w.id).sort());
    for (const g of got) {
      const e = index.images.find((x) => x.id === g.id)!;
      expect(g.label).toBe(e.label);
      const cli = await loadImageFile(PUBLIC + 'examples/' + e.file, model.config);
      expect(Array.from((g.pixels as { data: Float32Array }).data)).toEqual(Array.from(cli.data));
    }
    await expect(bundledExamples(model, null, 2)).rejects.toThrow(/was not opened from a folder with examples/);
    await expect(bundledExamples(model, 'http://elsewhere.test/', 2)).rejects.toThrow(/has no example images .*HTTP 404/);
  });

  it('returns every image’s paths, each method’s class × neuron matrix and the overlap; given images give the same', async () => {
    const progress: Array<[number, number]> = [];
    const r = await api().classPaths('k', { images: { kind: 'examples', perClass: 1 }, steps: 2, resamples: 50 }, (d, t) => void progress.push([d, t]));
    expect(r.images).toHaveLength(10);
    expect(r.labels).toEqual(model.config.vision!.labels);
    expect(r.positions).toHaveLength(17);
    expect([r.steps, r.resamples]).toEqual([2, 50]);
    expect(progress.at(-1)).toEqual([10, 10]);
    for (const m of ['neuronpath', 'activation', 'layer_ig', 'gxa'] as const) {
      expect(r.matrices[m].images).toEqual(Array(10).fill(1));
      // One path per image, one neuron per layer: every row counts nLayer neurons.
      for (const row of r.matrices[m].counts) expect(row.reduce((a, x) => a + x, 0)).toBe(model.config.nLayer);
      expect(r.overlap[m].withinPairs).toBe(0);
      expect(r.overlap[m].betweenPairs).toBe(45);
    }
    const images = await bundledExamples(model, FOLDER, 1);
    const direct = await classPaths(model, images, { steps: 2, resamples: 50, positions: 0 });
    const given = await api(null).classPaths('k', { images: { kind: 'given', images: images.map((im) => ({ ...im, pixels: im.pixels as { shape: number[]; data: Float32Array } })) }, steps: 2, resamples: 50, positions: 'cls' });
    expect(given.positions).toEqual([0]);
    expect(given.images).toEqual(direct.images);
    expect(given.matrices.neuronpath).toEqual(direct.matrix);
    expect(given.overlap.neuronpath.between).toBe(direct.overlap.neuronpath.between);
  }, 120_000);

  it('Cancel (its key) stops it between images', async () => {
    const streams = new Supersede();
    let seen = 0;
    const run = api(FOLDER, streams).classPaths('class-paths', { images: { kind: 'examples', perClass: 3 }, steps: 2 }, (done) => {
      seen = done;
      if (done === 2) streams.cancel('class-paths');
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeLessThan(30);
  }, 120_000);
});
