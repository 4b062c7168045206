import { getKernel, registerKernel, type KernelFunc, type TensorInfo, type TypedArray } from '@tensorflow/tfjs';

/**
 * The WASM backend lacks UnsortedSegmentSum, which the gradient of `gather` needs (embedding lookups and
 * row selection in training and gradient runs). This registers a plain implementation of it.
 */
interface WasmLike {
  readSync(dataId: object): TypedArray;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as unknown as WasmLike;
  const xv = b.readSync(x.dataId);
  const ids = b.readSync(segmentIds.dataId);
  const inner = x.shape.slice(1).reduce((p, d) => p * d, 1);
  const out = b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const ov = b.typedArrayFromHeap(out);
  ov.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) ov[dst + j] += xv[src + j];
  }
  return out;
};

export function registerWasmExtras(): void {
  if (!getKernel('UnsortedSegmentSum', 'wasm')) {
    registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum });
  }
}
registerWasmExtras();
