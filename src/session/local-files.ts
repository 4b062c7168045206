/**
 * Fingerprints of models opened from local files. A session cannot carry the files, so it carries a
 * fingerprint; reopening the session asks for the files again and checks them against it.
 *
 * The fingerprint hashes (SHA-256, crypto.subtle) config.json, the safetensors header (which names every
 * tensor with its dtype, shape and offsets), 32 evenly spaced 4 KiB samples of the weight bytes (the header
 * alone is the same for every model of one architecture), and tokenizer.json when there is one. It reads
 * well under a megabyte however large the model, so it is instant; it is a check against opening the wrong
 * files by mistake, not against deliberate forgery.
 */
import { PathlightError } from '../engine/errors';
import type { LocalFingerprint } from './schema';

export interface ModelFiles {
  config: Blob;
  safetensors: Blob;
  tokenizer?: Blob | null;
  /** Display name; default the safetensors file's name (without extension) or "local model". */
  name?: string;
}

const SAMPLES = 32;
const SAMPLE_BYTES = 4096;
/** A header longer than this is not a real safetensors header. */
const MAX_HEADER = 100 * 1024 * 1024;
const TAG = 'pathlight-fingerprint-1';

async function bytes(b: Blob, start = 0, end = b.size): Promise<Uint8Array> {
  return new Uint8Array(await b.slice(start, end).arrayBuffer());
}

function u32le(n: number): Uint8Array {
  return new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]);
}

/** Each part length-prefixed, so no two different lists of parts give the same stream. */
function framed(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + 8 + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(u32le(p.length), o);
    out.set(u32le(Math.floor(p.length / 2 ** 32)), o + 4);
    out.set(p, o + 8);
    o += 8 + p.length;
  }
  return out;
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new PathlightError('This page cannot hash files (crypto.subtle needs https or localhost).');
  const d = new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Offsets of the sampled weight bytes in [start, end). */
export function sampleOffsets(start: number, end: number): number[] {
  const n = end - start;
  if (n <= SAMPLES * SAMPLE_BYTES) return [start];
  return Array.from({ length: SAMPLES }, (_, i) => start + Math.floor(((n - SAMPLE_BYTES) * i) / (SAMPLES - 1)));
}

function defaultName(f: ModelFiles): string {
  if (f.name) return f.name.slice(0, 256);
  const n = (f.safetensors as Partial<File>).name;
  return typeof n === 'string' && n ? n.replace(/\.safetensors$/i, '').slice(0, 256) : 'local model';
}

export async function fingerprintModelFiles(f: ModelFiles): Promise<LocalFingerprint> {
  const size = f.safetensors.size;
  if (size < 8) throw new PathlightError(`The safetensors file is ${size} bytes long: it is truncated or not a safetensors file.`);
  const head = await bytes(f.safetensors, 0, 8);
  const headerLen = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER, size - 8))) throw new PathlightError('The safetensors file has a header longer than the file: it is truncated or not a safetensors file.');
  const dataStart = 8 + Number(headerLen);
  const parts: Uint8Array[] = [new TextEncoder().encode(TAG), await bytes(f.config), head, await bytes(f.safetensors, 8, dataStart)];
  const n = size - dataStart;
  for (const off of sampleOffsets(dataStart, size)) parts.push(await bytes(f.safetensors, off, Math.min(size, off + (n <= SAMPLES * SAMPLE_BYTES ? n : SAMPLE_BYTES))));
  parts.push(f.tokenizer ? await bytes(f.tokenizer) : new Uint8Array(0));
  return { name: defaultName(f), size, sha256: await sha256Hex(framed(parts)) };
}

export interface FileCheck {
  ok: boolean;
  /** Why the files do not match, one sentence each (empty when ok). */
  problems: string[];
  /** The fingerprint of the files given. */
  fingerprint: LocalFingerprint;
}

/** Checks that re-supplied files are the ones a session was made with. */
export async function checkModelFiles(expected: LocalFingerprint, f: ModelFiles): Promise<FileCheck> {
  const fingerprint = await fingerprintModelFiles({ ...f, name: f.name ?? expected.name });
  const problems: string[] = [];
  if (fingerprint.size !== expected.size) {
    problems.push(`The safetensors file is ${fingerprint.size.toLocaleString('en')} bytes; the session's model had ${expected.size.toLocaleString('en')}.`);
  }
  if (fingerprint.sha256 !== expected.sha256 && problems.length === 0) {
    problems.push(`These files differ from the ones the session was made with (config.json, weights${f.tokenizer ? ' or tokenizer.json' : ', or a missing tokenizer.json'}); the numbers would not be the same.`);
  }
  return { ok: problems.length === 0, problems, fingerprint };
}

/** Sorts a picked file list into config.json, the .safetensors file and tokenizer.json (null when missing). */
export function pickModelFiles(files: ArrayLike<File>): { config: File | null; safetensors: File | null; tokenizer: File | null } {
  const list = Array.from(files);
  const named = (n: string) => list.find((f) => f.name === n || (f.webkitRelativePath ?? '').endsWith(`/${n}`)) ?? null;
  return { config: named('config.json'), safetensors: list.find((f) => /\.safetensors$/i.test(f.name)) ?? null, tokenizer: named('tokenizer.json') };
}
