import { backend_util, getKernel, registerKernel, slice_util, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo, type TypedArray } from '@tensorflow/tfjs';

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

/**
 * Slice and SplitV: tfjs-backend-wasm's Slice copies the whole input out of the heap (readSync) for every slice,
 * so splitting a tensor into n pieces copies it n times (GPT-2-small's per-head products spent a fifth of the
 * forward pass there). These copy each piece straight from the heap, one contiguous run at a time.
 */
function copySlice(b: WasmLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = b.makeOutput(size, x.dtype);
  // Views into the heap only after makeOutput, which may grow (and so move) it.
  const xv = b.typedArrayFromHeap(x);
  const ov = b.typedArrayFromHeap(out);
  if (ov.length === 0) return out;
  const r = size.length;
  const strides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  // Dimensions k.. are taken whole, so each index of dimensions 0..k−1 gives one contiguous run.
  let k = r;
  while (k > 0 && begin[k - 1] === 0 && size[k - 1] === x.shape[k - 1]) k--;
  if (k === 0) {
    ov.set(xv.subarray(0, ov.length));
    return out;
  }
  const d = k - 1;
  const runLen = size[d] * strides[d];
  const idx = new Array<number>(d).fill(0);
  for (let o = 0; o < ov.length; o += runLen) {
    let off = begin[d] * strides[d];
    for (let i = 0; i < d; i++) off += (begin[i] + idx[i]) * strides[i];
    ov.set(xv.subarray(off, off + runLen), o);
    for (let i = d - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/**
 * Identity shares the input's memory (a reference count, as the CPU and WebGL backends and WASM's own Reshape do)
 * instead of copying it. tfjs clones every tensor a gradient will need while it records a backward pass, so a
 * gradient run through the WASM backend's copying Identity spent about a tenth of its time copying.
 */
let wasmIdentity: KernelConfig | undefined;
const sharedIdentity: KernelFunc = (args) => {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string' || !wasmIdentity) return wasmIdentity!.kernelFunc(args);
  (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

let wasmSlice: KernelConfig | undefined;
let wasmSplitV: KernelConfig | undefined;

const fastSlice: KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string' || !wasmSlice) return wasmSlice!.kernelFunc(args);
  const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = slice_util.parseSliceParams(x as never, begin, size);
  return copySlice(backend as unknown as WasmLike, x, b, s);
};

const fastSplitV: KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string' || !wasmSplitV) return wasmSplitV!.kernelFunc(args);
  const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const ax = [axis].flat()[0];
  const a = ax < 0 ? ax + x.shape.length : ax;
  const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, a);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[a] = n;
    const piece = copySlice(backend as unknown as WasmLike, x, [...begin], size);
    begin[a] += n;
    return piece;
  });
};

function replace(name: string, kernelFunc: KernelFunc, keep: (k: KernelConfig) => void): void {
  const current = getKernel(name, 'wasm');
  if (!current || current.kernelFunc === kernelFunc) return;
  keep(current);
  unregisterKernel(name, 'wasm');
  registerKernel({ ...current, kernelFunc });
}

/** Registers the kernels above (idempotent; call after the WASM backend's own kernels are registered). */
export function registerWasmExtras(): void {
  if (!getKernel('UnsortedSegmentSum', 'wasm')) {
    registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum });
  }
  replace('Slice', fastSlice, (k) => (wasmSlice = k));
  replace('SplitV', fastSplitV, (k) => (wasmSplitV = k));
  replace('Identity', sharedIdentity, (k) => (wasmIdentity = k));
}
registerWasmExtras();
