/** The WASM backend's replacement Identity, Slice and SplitV kernels (src/engine/wasm-kernels.ts) against the CPU backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';

const cases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
  { shape: [12, 5], begin: [3, 0], size: [4, 5] },
  { shape: [12, 5], begin: [3, 1], size: [4, 3] },
  { shape: [2, 3, 4, 5], begin: [1, 0, 2, 0], size: [1, 3, 2, 5] },
  { shape: [2, 3, 4, 5], begin: [0, 1, 0, 2], size: [2, 2, 4, 3] },
  { shape: [2, 3, 4, 5], begin: [0, 0, 0, 0], size: [2, 3, 4, 5] },
  { shape: [2, 3, 4, 5], begin: [1, 2, 3, 4], size: [1, 1, 1, 1] },
  { shape: [7], begin: [2], size: [-1] },
  { shape: [3, 4], begin: [0, 0], size: [0, 4] },
];

async function onBoth<T>(f: () => T, read: (r: T) => Promise<unknown>): Promise<[unknown, unknown]> {
  await tf.setBackend('cpu');
  const want = await read(f());
  await tf.setBackend('wasm');
  const got = await read(f());
  return [got, want];
}

describe('WASM Identity, Slice and SplitV', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('replaces the backend\'s own kernels', () => {
    expect(tf.getKernel('Slice', 'wasm')!.kernelFunc.name).toBe('fastSlice');
    expect(tf.getKernel('SplitV', 'wasm')!.kernelFunc.name).toBe('fastSplitV');
    expect(tf.getKernel('Identity', 'wasm')!.kernelFunc.name).toBe('sharedIdentity');
  });

  it('a clone shares memory until both are disposed, and survives the original', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('slice equals the CPU backend for contiguous and strided slices', async () => {
    for (const c of cases) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i);
      const [got, want] = await onBoth(() => tf.slice(tf.tensor(data, c.shape), c.begin, c.size), async (t) => ({ shape: t.shape, data: Array.from(await t.data()) }));
      expect(got, JSON.stringify(c)).toEqual(want);
    }
  });

  it('split equals the CPU backend on every axis, for int32 too, and leaves no tensors behind', async () => {
    for (const [shape, pieces, axis] of [[[12, 5], 3, 0], [[1, 4, 9], [2, 3, 4], 2], [[2, 6, 4], 2, 1], [[2, 6, 4], 2, -1]] as Array<[number[], number | number[], number]>) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const dtype of ['float32', 'int32'] as const) {
        const [got, want] = await onBoth(
          () => tf.split(tf.tensor(Int32Array.from({ length: n }, (_, i) => i * 3 - 7), shape, dtype), pieces, axis),
          async (ts) => Promise.all(ts.map(async (t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(await t.data()) }))),
        );
        expect(got).toEqual(want);
      }
    }
    const before = tf.memory().numTensors;
    const x = tf.ones([8, 4]);
    tf.split(x, 4, 0).forEach((t) => t.dispose());
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
