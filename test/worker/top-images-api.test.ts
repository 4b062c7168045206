import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadImageFile } from '../../src/engine/image-node';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { Supersede } from '../../src/worker/cancel';
import { Scheduler } from '../../src/worker/scheduler';
import { stubFolderFetch } from './folder-fetch';
import { emptyMaxima, rankImages, reduceActivations, topImagesApi } from '../../src/worker/top-images-api';

/** The worker's top-activating images on digits-vit, its examples served from public/ by a stand-in fetch. */
const FOLDER = 'http://pathlight.test/models/digits-vit/';
const PUBLIC = join(process.cwd(), 'public/models/digits-vit/');
let model: Model;
let fetched: string[] = [];
type Entry = { id: string; file: string; label: number };
let index: Entry[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = await loadModelDir('digits-vit');
  index = (JSON.parse(await readFile(PUBLIC + 'examples/index.json', 'utf8')) as { images: Entry[] }).images;
  stubFolderFetch(FOLDER, PUBLIC, (url) => fetched.push(url));
}, 120_000);
afterAll(() => {
  vi.unstubAllGlobals();
  model?.dispose();
});

const api = (folder: string | null = FOLDER, streams = new Supersede()) => topImagesApi({ streams, scheduler: new Scheduler(), requireModel: () => model, modelFolder: () => folder });

/** Every example read as the CLI reads it and run alone; the neuron's max over tokens, its token and [CLS] value. */
async function direct(layer: number, neuron: number) {
  const hook = `blocks.${layer}.mlp.hook_post`;
  const out: Array<Entry & { value: number; token: number; cls: number }> = [];
  for (const e of index) {
    const px = await loadImageFile(PUBLIC + 'examples/' + e.file, model.config);
    const r = await runModel(model, { pixelValues: { shape: [1, ...px.shape], data: px.data }, capture: [hook], logits: 'none' });
    const [, T, D] = r.activations[hook].shape;
    const col = Array.from({ length: T }, (_, t) => r.activations[hook].data[t * D + neuron]);
    const value = Math.max(...col);
    out.push({ ...e, value, token: col.indexOf(value), cls: col[0] });
  }
  return out;
}

const close = (got: { id: string; value: number; token: number; cls: number }[], want: { id: string; value: number; token: number; cls: number }[]) => {
  expect(got.map((g) => g.id)).toEqual(want.map((w) => w.id));
  got.forEach((g, i) => {
    expect(g.value).toBeCloseTo(want[i].value, 5);
    expect(g.cls).toBeCloseTo(want[i].cls, 5);
    expect(g.token).toBe(want[i].token);
  });
};

describe('topImages in the worker', () => {
  it('ranks every bundled example by the neuron’s max over tokens as a direct run of each image does; another neuron of the layer runs nothing', async () => {
    const a = api();
    const progress: Array<[number, number]> = [];
    const r = await a.topImages('card-top-images', { layer: 2, index: 5 }, (d, t) => void progress.push([d, t]));
    expect(r.reason).toBeNull();
    expect([r.layer, r.index, r.hook, r.images, r.ran]).toEqual([2, 5, 'blocks.2.mlp.hook_post', index.length, index.length]);
    expect(progress.at(-1)).toEqual([index.length, index.length]);
    // Batches of 8: 30 images in 4 forward passes.
    expect(progress.map((p) => p[0])).toEqual([8, 16, 24, 30]);
    const want = await direct(2, 5);
    const desc = [...want].sort((x, y) => y.value - x.value);
    expect(r.top).toHaveLength(8);
    close(r.top, desc.slice(0, 8));
    close(r.bottom, [...want].sort((x, y) => x.value - y.value).slice(0, 8));
    for (const t of r.top) expect(t).toMatchObject({ label: index.find((e) => e.id === t.id)!.label, file: index.find((e) => e.id === t.id)!.file });
    for (let i = 1; i < r.top.length; i++) expect(r.top[i].value).toBeLessThanOrEqual(r.top[i - 1].value);

    // Another neuron of the same layer: the cached maxima, no forward pass and no fetch.
    fetched = [];
    const r2 = await a.topImages('card-top-images', { layer: 2, index: 77, k: 3 });
    expect(r2.ran).toBe(0);
    expect(fetched).toEqual([]);
    close(r2.top, [...(await direct(2, 77))].sort((x, y) => y.value - x.value).slice(0, 3));
    // Another layer runs the images again (already decoded: no fetch).
    const r3 = await a.topImages('card-top-images', { layer: 0, index: 0, k: 30 });
    expect(r3.ran).toBe(index.length);
    expect(fetched).toEqual([]);
    expect(r3.top.map((t) => t.id).sort()).toEqual(index.map((e) => e.id).sort());
  }, 120_000);

  it('the pure reduction and ranking: first token wins a tie, ties rank in index order', () => {
    // Two images, three tokens, two neurons.
    const acts = { shape: [2, 3, 2], data: Float32Array.from([1, 0, 3, 0, 3, 0, /* image 2 */ 2, 5, 1, 5, 0, 5]) };
    const m = emptyMaxima(2, 2);
    reduceActivations(acts, m, 0);
    expect(Array.from(m.max)).toEqual([3, 0, 2, 5]);
    expect(Array.from(m.token)).toEqual([1, 0, 0, 0]);
    expect(Array.from(m.cls)).toEqual([1, 0, 2, 5]);
    const ex = [
      { id: 'a', file: 'a.png', label: 0 },
      { id: 'b', file: 'b.png', label: 1 },
    ];
    expect(rankImages(ex, m, 0, 1).top).toEqual([{ id: 'a', file: 'a.png', label: 0, value: 3, token: 1, cls: 1 }]);
    expect(rankImages(ex, m, 0, 1).bottom.map((x) => x.id)).toEqual(['b']);
    const m2 = emptyMaxima(2, 1);
    reduceActivations({ shape: [2, 1, 1], data: Float32Array.from([4, 4]) }, m2, 0);
    expect(rankImages(ex, m2, 0, 2).top.map((x) => x.id)).toEqual(['a', 'b']);
    expect(rankImages(ex, m2, 0, 2).bottom.map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('a model without bundled examples: an empty list and the reason', async () => {
    const none = await api(null).topImages('k', { layer: 0, index: 0 });
    expect(none).toMatchObject({ images: 0, top: [], bottom: [], ran: 0 });
    expect(none.reason).toMatch(/was not opened from a folder with examples/);
    const missing = await api('http://elsewhere.test/').topImages('k', { layer: 0, index: 0 });
    expect(missing.top).toEqual([]);
    expect(missing.reason).toMatch(/has no example images .*HTTP 404/);
    await expect(api().topImages('k', { layer: 4, index: 0 })).rejects.toThrow(/layer must be a whole number from 0 to 3/);
    await expect(api().topImages('k', { layer: 0, index: 128 })).rejects.toThrow(/neuron must be a whole number from 0 to 127/);
  }, 120_000);

  it('a newer request with the same key supersedes the older one', async () => {
    const a = api();
    const first = a.topImages('card-top-images', { layer: 1, index: 3 });
    const second = a.topImages('card-top-images', { layer: 1, index: 4 });
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const r = await second;
    expect(r.top).toHaveLength(8);
    expect(r.ran).toBe(index.length);
  }, 120_000);
});
