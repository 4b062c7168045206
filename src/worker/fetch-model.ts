import { bytesSource, type ByteSource } from '../engine/bytes';
import { INDEX_FILE, parseShardIndex, type WeightFile } from '../engine/checkpoint';
import { fail } from '../engine/errors';
import type { LoadProgress } from './api';

function isWebPage(res: Response): boolean {
  return /^text\/html/i.test(res.headers.get('content-type') ?? '');
}

/** fetch() whose network failures become a clear message (cancellation stays an AbortError). */
async function request(url: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    fail(`could not fetch ${url}: ${(e as Error).message}`);
  }
}

/**
 * The weights of a model folder: model.safetensors, or when that is absent the shards a
 * model.safetensors.index.json names (each downloaded in turn, progress summed over the shards).
 */
export async function fetchWeights(base: string, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<WeightFile[]> {
  const single = await request(base + 'model.safetensors', signal);
  if (single.ok && !isWebPage(single)) return [{ name: 'model.safetensors', source: await readBody(base + 'model.safetensors', single, onProgress) }];
  single.body?.cancel().catch(() => {});
  const index = await fetchText(base + INDEX_FILE, true, signal);
  if (index === null) fail(`could not fetch ${base}model.safetensors: ${single.ok ? 'not found (the server answered with a web page)' : `HTTP ${single.status}`}, and there is no ${INDEX_FILE}`);
  const files: WeightFile[] = [];
  let done = 0;
  for (const name of parseShardIndex(index)) {
    const source = await fetchBytes(base + name, onProgress && ((p) => onProgress({ ...p, loadedBytes: done + p.loadedBytes, totalBytes: done + p.totalBytes })), signal);
    done += source.size;
    files.push({ name, source });
  }
  return files;
}

/** Fetches a text file; null when `optional` and the server answers 404. */
export async function fetchText(url: string, optional = false, signal?: AbortSignal): Promise<string | null> {
  const res = await request(url, signal);
  if (res.status === 404 && optional) return null;
  if (!res.ok) fail(`could not fetch ${url}: HTTP ${res.status}`);
  const text = await res.text();
  // Vite's servers (and many static hosts) answer unknown paths with index.html: that file is missing.
  if (isWebPage(res) || /^\s*<!doctype html/i.test(text)) {
    if (optional) return null;
    fail(`could not fetch ${url}: not found (the server answered with a web page)`);
  }
  return text;
}

/** Downloads a file into one buffer (held once), reporting bytes as they arrive. */
export async function fetchBytes(url: string, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<ByteSource> {
  const res = await request(url, signal);
  if (!res.ok) fail(`could not fetch ${url}: HTTP ${res.status}`);
  if (isWebPage(res)) fail(`could not fetch ${url}: not found (the server answered with a web page)`);
  return readBody(url, res, onProgress);
}

async function readBody(url: string, res: Response, onProgress?: (p: LoadProgress) => void): Promise<ByteSource> {
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return bytesSource(new Uint8Array(await res.arrayBuffer()));
  const reader = res.body.getReader();
  let buf = new Uint8Array(total > 0 ? total : 1 << 20);
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, n + value.length));
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
    buf.set(value, n);
    n += value.length;
    onProgress?.({ loadedBytes: n, totalBytes: Math.max(total, n), phase: 'download' });
  }
  return bytesSource(buf.subarray(0, n));
}
