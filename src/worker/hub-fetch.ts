/**
 * Hub models in the browser: files from `{endpoint}/{owner}/{name}/resolve/{rev}/{file}`, kept in Cache Storage
 * (keyed by that URL) so a second open needs no network. A file is cached only once it has arrived whole; a
 * file the repository lacks is remembered as absent (an empty entry marked `x-pathlight-absent`).
 */
import { blobSource } from '../engine/bytes';
import { parseShardIndex, type WeightFile } from '../engine/checkpoint';
import { fail } from '../engine/errors';
import { formatHubRef, HUB_FILES as F, hubHttpMessage, isVisionConfigText, noWeightsMessage, parseResolveUrl, progressMeter, repoId, resolveUrl, truncatedMessage, unreachableMessage, type DownloadProgress, type HubRef } from '../engine/hub';
import { byteLevelBpeTokenizerJson, parseVocabJson } from '../engine/tokenizer-files';

export const HUB_CACHE = 'pathlight-hub-v1';
const ABSENT = 'x-pathlight-absent';

export interface HubCachedModel {
  endpoint: string;
  /** `owner/name`. */
  repo: string;
  revision: string;
  files: string[];
  bytes: number;
  /** config.json and every weight file are there (the model opens offline). */
  complete: boolean;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(HUB_CACHE);
  } catch {
    return null; // no Cache Storage here (an insecure origin, a private window): downloads are not kept
  }
}

interface Ctx {
  endpoint: string;
  ref: HubRef;
  cache: Cache | null;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  done: { loaded: number; total: number };
  /** Files that could not be kept (storage full). */
  notKept: string[];
}

function isWebPage(res: Response): boolean {
  return /^text\/html/i.test(res.headers.get('content-type') ?? '');
}

/** The file as a Blob, from the cache or the network; null when the repository lacks it (optional files only). */
async function file(ctx: Ctx, name: string, optional: boolean): Promise<Blob | null> {
  const url = resolveUrl(ctx.endpoint, ctx.ref, name);
  const hit = await ctx.cache?.match(url).catch(() => undefined);
  if (hit) {
    if (hit.headers.get(ABSENT)) return null;
    return hit.blob();
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: ctx.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    fail(unreachableMessage(ctx.endpoint, ctx.ref, name, `network error: the server is down or offline, or it (or the storage it redirects to) does not let this page read it`));
  }
  const origin = new URL(ctx.endpoint).origin;
  const redirectedTo = res.redirected && res.url && new URL(res.url).origin !== origin ? new URL(res.url).origin : null;
  if (!res.ok) {
    const code = res.headers.get('x-error-code');
    res.body?.cancel().catch(() => {});
    if (optional && res.status === 404 && !redirectedTo && (code === null || code === 'EntryNotFound')) {
      await ctx.cache?.put(url, new Response('', { headers: { [ABSENT]: '1' } })).catch(() => {});
      return null;
    }
    fail(hubHttpMessage(ctx.endpoint, ctx.ref, name, { status: res.status, errorCode: code, errorMessage: res.headers.get('x-error-message'), redirectedTo }, 'browser'));
  }
  if (isWebPage(res)) {
    res.body?.cancel().catch(() => {});
    fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: ${url} answered with a web page, not the file (is ${ctx.endpoint} a hub endpoint?)`);
  }
  const blob = await readAll(ctx, name, res);
  if (ctx.cache) {
    const headers = { 'content-type': 'application/octet-stream', 'x-pathlight-size': String(blob.size), 'x-repo-commit': res.headers.get('x-repo-commit') ?? '' };
    await ctx.cache.put(url, new Response(blob, { headers })).catch(() => ctx.notKept.push(name));
  }
  return blob;
}

/** The whole body, with progress; refuses a body shorter than announced (nothing of it is kept). */
async function readAll(ctx: Ctx, name: string, res: Response): Promise<Blob> {
  const announced = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length') ?? 0) || 0;
  const meter = progressMeter(name, announced, ctx.done, ctx.onProgress);
  const chunks: Uint8Array[] = [];
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        meter.add(value.length);
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError' || ctx.signal?.aborted) throw e;
      if (announced && meter.bytes < announced) fail(truncatedMessage(ctx.ref, name, meter.bytes, announced));
      fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: the download of ${name} broke off after ${meter.bytes} bytes (${(e as Error).message}); nothing of it was kept, try again`);
    }
  } else chunks.push(new Uint8Array(await res.arrayBuffer()));
  // A compressed body (Content-Encoding) announces fewer bytes than it gives, never more.
  if (announced && meter.bytes < announced) fail(truncatedMessage(ctx.ref, name, meter.bytes, announced));
  ctx.done.loaded += meter.done();
  return new Blob(chunks as BlobPart[]);
}

export interface HubModelFiles {
  config: string;
  weights: WeightFile[];
  /** tokenizer.json's text, or the one built from vocab.json + merges.txt (text models; null for vision models). */
  tokenizer: string | object | null;
  /** Vision models: preprocessor_config.json's text, or null when the repository has none (the processor's defaults). */
  preprocessor: string | null;
  /** Files downloaded but not kept (storage full or unavailable). */
  notKept: string[];
}

/**
 * config.json, then (after `beforeWeights` has seen it: the memory check) model.safetensors or the index and its
 * shards, then tokenizer.json (or vocab.json + merges.txt) — or, for a vision model (model_type vit), its
 * preprocessor_config.json instead of a tokenizer. Cache first, network for what is missing; a file the repository
 * lacks is remembered as absent.
 */
export async function fetchHubModel(endpoint: string, ref: HubRef, opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; beforeWeights?: (config: string) => void } = {}): Promise<HubModelFiles> {
  const ctx: Ctx = { endpoint, ref, cache: await openCache(), signal: opts.signal, onProgress: opts.onProgress, done: { loaded: 0, total: 0 }, notKept: [] };
  if (!ctx.cache) ctx.notKept.push('this model (the page has no Cache Storage: it needs https or localhost)');
  const config = await (await file(ctx, F.config, false))!.text();
  opts.beforeWeights?.(config);
  let weights: WeightFile[];
  const single = await file(ctx, F.single, true);
  if (single) weights = [{ name: F.single, source: blobSource(single) }];
  else {
    const index = await file(ctx, F.index, true);
    if (!index) {
      // Only asked about (HEAD), never downloaded: to say why the model cannot open.
      const pt = await fetch(resolveUrl(endpoint, ref, F.pytorch), { method: 'HEAD', signal: opts.signal }).catch(() => null);
      fail(noWeightsMessage(ref, pt?.ok === true));
    }
    const text = await index.text();
    const total = (JSON.parse(text) as { metadata?: { total_size?: unknown } }).metadata?.total_size;
    if (typeof total === 'number') ctx.done.total = ctx.done.loaded + total;
    weights = [];
    for (const shard of parseShardIndex(text)) weights.push({ name: shard, source: blobSource((await file(ctx, shard, false))!) });
  }
  if (isVisionConfigText(config)) {
    // An image classifier: its image processor's settings, no tokenizer.
    const pre = await file(ctx, F.preprocessor, true);
    return { config, weights, tokenizer: null, preprocessor: pre ? await pre.text() : null, notKept: ctx.notKept };
  }
  let tokenizer: string | object | null = null;
  const tok = await file(ctx, F.tokenizer, true);
  if (tok) tokenizer = await tok.text();
  else {
    const vocab = await file(ctx, F.vocab, true);
    const merges = vocab ? await file(ctx, F.merges, true) : null;
    if (vocab && merges) tokenizer = byteLevelBpeTokenizerJson(parseVocabJson(await vocab.text()), await merges.text());
  }
  return { config, weights, tokenizer, preprocessor: null, notKept: ctx.notKept };
}

/** Every hub model in Cache Storage, grouped by endpoint, repository and revision, with its size. */
export async function listHubCache(): Promise<HubCachedModel[]> {
  const cache = await openCache();
  if (!cache) return [];
  const byKey = new Map<string, HubCachedModel>();
  for (const req of await cache.keys()) {
    const m = /^(.*?)\/[^/]+\/[^/]+\/resolve\//.exec(req.url);
    const parsed = m ? parseResolveUrl(m[1], req.url) : null;
    if (!parsed) continue;
    const res = await cache.match(req);
    if (!res || res.headers.get(ABSENT)) continue;
    const key = `${m![1]} ${repoId(parsed.ref)} ${parsed.ref.revision}`;
    const entry = byKey.get(key) ?? { endpoint: m![1], repo: repoId(parsed.ref), revision: parsed.ref.revision, files: [], bytes: 0, complete: false };
    entry.files.push(parsed.file);
    entry.bytes += Number(res.headers.get('x-pathlight-size')) || (await res.blob()).size;
    byKey.set(key, entry);
  }
  const out = [...byKey.values()];
  for (const e of out) {
    e.files.sort();
    let weights = e.files.includes(F.single);
    if (!weights && e.files.includes(F.index)) {
      const ref = { owner: e.repo.split('/')[0], name: e.repo.split('/')[1], revision: e.revision };
      const text = await (await cache.match(resolveUrl(e.endpoint, ref, F.index)))?.text();
      try {
        weights = text !== undefined && parseShardIndex(text).every((s) => e.files.includes(s));
      } catch {
        weights = false;
      }
    }
    e.complete = e.files.includes(F.config) && weights;
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.revision.localeCompare(b.revision));
}

/** Deletes one model's entries (every revision when `revision` is omitted); returns how many were removed. */
export async function deleteHubCache(endpoint: string, repo: string, revision?: string): Promise<number> {
  const cache = await openCache();
  if (!cache) return 0;
  let n = 0;
  for (const req of await cache.keys()) {
    const p = parseResolveUrl(endpoint, req.url);
    if (!p || repoId(p.ref) !== repo || (revision !== undefined && p.ref.revision !== revision)) continue;
    if (await cache.delete(req)) n++;
  }
  return n;
}
