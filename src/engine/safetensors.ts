import type { ByteSource } from './bytes';
import { fail } from './errors';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Absolute byte offset where the data section starts. */
  dataStart: number;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** One tensor's bytes must fit one read and one typed array. */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;

/** The first top-level key of a JSON object text that appears twice (JSON.parse keeps only the last), or null. */
export function firstDuplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return null;
}
/** Headers larger than this are refused (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Reads and validates a safetensors header against the file it came from. */
export async function parseSafetensorsHeader(src: ByteSource, fileName = 'model.safetensors'): Promise<SafetensorsHeader> {
  if (src.size === 0) fail(`${fileName}: the file is empty`);
  if (src.size < 8) fail(`${fileName}: the file is truncated (${src.size} bytes, shorter than the 8-byte header length)`);
  const lenBytes = await src.read(0, 8);
  const view = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) fail(`${fileName}: header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + headerLen > src.size) {
    fail(`${fileName}: header length ${headerLen} runs past the end of the file (${src.size} bytes) — the file is truncated or not safetensors`);
  }
  const headerBytes = await src.read(8, headerLen);
  let json: unknown;
  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    json = JSON.parse(headerText);
  } catch {
    fail(`${fileName}: the header is not valid JSON — not a safetensors file`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(`${fileName}: the header is not a JSON object`);
  const dup = firstDuplicateKey(headerText);
  if (dup !== null) fail(`${fileName}: the header names tensor "${dup}" twice`);
  const dataStart = 8 + headerLen;
  const dataSize = src.size - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object') metadata = raw as Record<string, string>;
      continue;
    }
    if (!raw || typeof raw !== 'object') fail(`${fileName}: tensor "${name}" has no description in the header`);
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof r.dtype !== 'string') fail(`${fileName}: tensor "${name}" has no dtype`);
    if (!(r.dtype in DTYPE_SIZE)) {
      fail(`${fileName}: tensor "${name}" has dtype ${r.dtype}; only floating-point F32, F16 and BF16 weights are supported`);
    }
    const dtype = r.dtype as SafetensorsDtype;
    if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`${fileName}: tensor "${name}" has an invalid shape`);
    }
    const shape = r.shape as number[];
    if (!Array.isArray(r.data_offsets) || r.data_offsets.length !== 2 || !r.data_offsets.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`${fileName}: tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = r.data_offsets as [number, number];
    const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype];
    if (bytes > MAX_TENSOR_BYTES) fail(`${fileName}: tensor "${name}" [${shape.join(', ')}] × ${dtype} is ${bytes} bytes; tensors over ${MAX_TENSOR_BYTES} bytes (2 GiB) cannot be loaded`);
    if (begin > end || end > dataSize) {
      fail(`${fileName}: tensor "${name}" has offsets [${begin}, ${end}] outside the data section (${dataSize} bytes)`);
    }
    const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype];
    if (end - begin !== expected) {
      fail(`${fileName}: tensor "${name}" holds ${end - begin} bytes but shape [${shape.join(', ')}] × ${dtype} needs ${expected}`);
    }
    tensors.set(name, { name, dtype, shape, begin, end });
  }
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) fail(`${fileName}: tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
  }
  // The format leaves no holes: the tensors tile the data section exactly.
  let at = 0;
  for (const t of sorted) {
    if (t.begin !== at) fail(`${fileName}: ${t.begin - at} bytes before tensor "${t.name}" belong to no tensor (the data section has a hole at offset ${at})`);
    at = t.end;
  }
  if (at !== dataSize) fail(`${fileName}: ${dataSize - at} bytes after the last tensor belong to no tensor (trailing data at offset ${at})`);
  return { dataStart, tensors, metadata };
}

function halfToFloat(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  if (e === 0) return (s ? -1 : 1) * Math.pow(2, -14) * (f / 1024);
  if (e === 0x1f) return f ? NaN : (s ? -1 : 1) * Infinity;
  return (s ? -1 : 1) * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Converts raw little-endian bytes of one tensor to float32. */
export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.byteLength / DTYPE_SIZE[dtype];
  if (dtype === 'F32') {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n).slice();
    return new Float32Array(bytes.slice().buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

/** Reads one tensor as float32; only that tensor's bytes are read from the source. */
export async function readTensor(src: ByteSource, header: SafetensorsHeader, entry: TensorEntry): Promise<Float32Array> {
  const bytes = await src.read(header.dataStart + entry.begin, entry.end - entry.begin);
  return decodeToFloat32(bytes, entry.dtype);
}
