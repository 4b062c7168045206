/**
 * Node-only: opening `hf:owner/name@rev` in the CLI (a text model with its tokenizer, a vision model with its
 * preprocessor_config.json). Files come from `{endpoint}/{owner}/{name}/resolve/{rev}/{file}`
 * (HF_ENDPOINT, default the public hub) into the Hugging Face cache (hub-cache-node.ts); a model already there, by
 * this or by Python, opens without the network. HF_TOKEN is sent to the endpoint (never to the storage it
 * redirects to); HF_HUB_OFFLINE=1 never uses the network.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseShardIndex } from './checkpoint';
import { fail, PathlightError } from './errors';
import { DEFAULT_HF_ENDPOINT, formatHubRef, HUB_FILES as F, hubHttpMessage, isVisionConfigText, normalizeEndpoint, noWeightsMessage, progressMeter, resolveUrl, truncatedMessage, unreachableMessage, type DownloadProgress, type HubRef } from './hub';
import { hubCacheDir, RepoCache } from './hub-cache-node';
import type { LoadOptions as EngineLoadOptions, Model } from './model';
import { loadModelDir } from './node-load';

export interface HubNodeOptions {
  endpoint?: string;
  token?: string | null;
  cacheDir?: string;
  offline?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Called with config.json's text before any weight is downloaded: throw to stop (the memory check). */
  beforeWeights?: (config: string) => void;
  signal?: AbortSignal;
  /** Seconds without a byte before a request is given up (HF_HUB_DOWNLOAD_TIMEOUT; default 10, as huggingface_hub). */
  timeoutSeconds?: number;
}

export interface HubLoadOptions {
  /** Progress of moving the weights onto the backend. */
  onWeights?: EngineLoadOptions['onProgress'];
}

/** The options the environment sets, as huggingface_hub reads them. */
export function hubEnvOptions(env: Record<string, string | undefined> = process.env): HubNodeOptions {
  return {
    endpoint: env.HF_ENDPOINT ? normalizeEndpoint(env.HF_ENDPOINT) : DEFAULT_HF_ENDPOINT,
    token: env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? null,
    cacheDir: hubCacheDir(env),
    offline: /^(1|true|yes|on)$/i.test(env.HF_HUB_OFFLINE ?? ''),
    timeoutSeconds: Number(env.HF_HUB_DOWNLOAD_TIMEOUT) > 0 ? Number(env.HF_HUB_DOWNLOAD_TIMEOUT) : 10,
  };
}

/** Aborts a request after `ms` without progress (restarted by kick) or when the caller's signal aborts. */
function watchdog(ms: number, outer?: AbortSignal) {
  const ctrl = new AbortController();
  let timedOut = false;
  const onAbort = () => ctrl.abort(outer!.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  const fire = () => {
    timedOut = true;
    ctrl.abort();
  };
  let t = setTimeout(fire, ms);
  return {
    signal: ctrl.signal,
    kick() {
      clearTimeout(t);
      t = setTimeout(fire, ms);
    },
    stop() {
      clearTimeout(t);
      outer?.removeEventListener('abort', onAbort);
    },
    get timedOut() {
      return timedOut;
    },
  };
}
type Watchdog = ReturnType<typeof watchdog>;

function header(res: Response, name: string): string | null {
  return res.headers.get(name);
}

function cleanEtag(e: string | null): string | null {
  if (!e) return null;
  const v = e.replace(/^W\//, '').replace(/^"|"$/g, '');
  return /^[A-Za-z0-9._-]{1,128}$/.test(v) ? v : null;
}

interface Ctx {
  endpoint: string;
  ref: HubRef;
  opts: HubNodeOptions;
  repo: RepoCache;
  done: { loaded: number; total: number };
}

type Got = { kind: 'ok'; res: Response; commit: string | null; etag: string | null; size: number | null; wd: Watchdog } | { kind: 'absent' };

/** GET a resolve URL; 404 of a file (not of the repository or revision) is `absent` when `optional`. */
async function get(ctx: Ctx, rev: string, file: string, optional: boolean): Promise<Got> {
  const seconds = ctx.opts.timeoutSeconds ?? 10;
  const wd = watchdog(seconds * 1000, ctx.opts.signal);
  try {
    const got = await getWith(ctx, rev, file, optional, wd);
    if (got.kind === 'absent') wd.stop();
    return got;
  } catch (e) {
    wd.stop();
    if (wd.timedOut) fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: ${ctx.endpoint} did not answer for ${seconds} s about ${file} (HF_HUB_DOWNLOAD_TIMEOUT sets the wait)`);
    throw e;
  }
}

async function getWith(ctx: Ctx, rev: string, file: string, optional: boolean, wd: Watchdog): Promise<Got> {
  const url = resolveUrl(ctx.endpoint, { ...ctx.ref, revision: rev }, file);
  const hubHeaders: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'pathlight' };
  if (ctx.opts.token) hubHeaders.authorization = `Bearer ${ctx.opts.token}`;
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', headers: hubHeaders, signal: wd.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError' || wd.timedOut) throw e;
    fail(unreachableMessage(ctx.endpoint, ctx.ref, file, ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message));
  }
  const commit = header(res, 'x-repo-commit');
  const etag = cleanEtag(header(res, 'x-linked-etag') ?? header(res, 'etag'));
  const linked = header(res, 'x-linked-size');
  if (res.status >= 300 && res.status < 400 && header(res, 'location')) {
    const to = new URL(header(res, 'location')!, url);
    await res.body?.cancel();
    const sameHost = to.origin === new URL(ctx.endpoint).origin;
    try {
      // The token goes to the hub only, not to the storage it redirects to.
      res = await fetch(to, { headers: sameHost ? hubHeaders : { 'accept-encoding': 'identity' }, signal: wd.signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError' || wd.timedOut) throw e;
      fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: the hub sent ${file} to ${to.origin}, which could not be reached (${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message})`);
    }
    if (!res.ok) fail(hubHttpMessage(ctx.endpoint, ctx.ref, file, { status: res.status, redirectedTo: sameHost ? null : to.origin }, 'cli'));
  }
  if (!res.ok) {
    const code = header(res, 'x-error-code');
    await res.body?.cancel();
    if (optional && res.status === 404 && (code === null || code === 'EntryNotFound')) return { kind: 'absent' };
    fail(hubHttpMessage(ctx.endpoint, ctx.ref, file, { status: res.status, errorCode: code, errorMessage: header(res, 'x-error-message') }, 'cli'));
  }
  const encoded = (header(res, 'content-encoding') ?? 'identity') !== 'identity';
  const size = linked ? Number(linked) : encoded ? null : Number(header(res, 'content-length') ?? NaN);
  return { kind: 'ok', res, commit: commit ?? header(res, 'x-repo-commit'), etag: etag ?? cleanEtag(header(res, 'etag')), size: Number.isFinite(size) ? size : null, wd };
}

async function discard(got: Extract<Got, { kind: 'ok' }>): Promise<void> {
  got.wd.stop();
  await got.res.body?.cancel().catch(() => {});
}

/** Streams a response into blobs/ (checking length and, for LFS files, sha256), then links it into the snapshot. */
async function save(ctx: Ctx, got: Extract<Got, { kind: 'ok' }>, commit: string, file: string): Promise<void> {
  mkdirSync(ctx.repo.blobsDir(), { recursive: true });
  const tmp = join(ctx.repo.blobsDir(), `${got.etag ?? randomBytes(8).toString('hex')}.${process.pid}.incomplete`);
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  const meter = progressMeter(file, got.size ?? 0, ctx.done, ctx.opts.onProgress);
  try {
    try {
      for await (const chunk of got.res.body as unknown as AsyncIterable<Uint8Array>) {
        got.wd.kick();
        hash.update(chunk);
        meter.add(chunk.length);
        if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      }
    } catch (e) {
      if (got.wd.timedOut) fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: the download of ${file} stalled (no data for ${ctx.opts.timeoutSeconds ?? 10} s after ${meter.bytes} bytes); nothing of it was kept, try again`);
      if ((e as Error).name === 'AbortError' || ctx.opts.signal?.aborted) throw e;
      if (got.size !== null && meter.bytes < got.size) fail(truncatedMessage(ctx.ref, file, meter.bytes, got.size));
      fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: the download of ${file} broke off after ${meter.bytes} bytes (${(e as Error).message}); nothing of it was kept, try again`);
    }
    await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
    if (got.size !== null && meter.bytes !== got.size) fail(truncatedMessage(ctx.ref, file, meter.bytes, got.size));
    const sha = hash.digest('hex');
    if (got.etag && /^[0-9a-f]{64}$/.test(got.etag) && got.etag !== sha) fail(`${formatHubRef(ctx.ref, { prefix: true, full: true })}: ${file} arrived damaged (its sha256 is not the one the hub announced); nothing of it was kept, try again`);
    ctx.done.loaded += meter.done();
    ctx.repo.commitFile(tmp, got.etag ?? sha, commit, file);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    got.wd.stop();
  }
}

/** The snapshot's weight files when they are all there; null when something is missing. */
function cachedWeights(repo: RepoCache, commit: string): string[] | null {
  if (repo.has(commit, F.single)) return [F.single];
  if (!repo.has(commit, F.index)) return null;
  const shards = parseShardIndex(readFileSync(join(repo.snapshotDir(commit), F.index), 'utf8'));
  return shards.every((s) => repo.has(commit, s)) ? shards : null;
}

/** Whether the cache says what the model's optional files are: its tokenizer, or a vision model's preprocessor_config.json. */
function extrasKnown(repo: RepoCache, commit: string): boolean {
  if (vision(repo, commit)) return repo.has(commit, F.preprocessor) || repo.noExist(commit, F.preprocessor);
  if (repo.has(commit, F.tokenizer)) return true;
  if (!repo.noExist(commit, F.tokenizer)) return false;
  return (repo.has(commit, F.vocab) && repo.has(commit, F.merges)) || repo.noExist(commit, F.vocab) || repo.noExist(commit, F.merges);
}

/** Whether the snapshot's config.json is a vision model's (no tokenizer; preprocessor_config.json instead). */
function vision(repo: RepoCache, commit: string): boolean {
  return isVisionConfigText(readFileSync(join(repo.snapshotDir(commit), F.config), 'utf8'));
}

export interface HubFiles {
  /** The snapshot folder: config.json, the weights and the tokenizer or preprocessor_config.json (links into blobs/). */
  dir: string;
  commit: string;
  /** True when nothing was downloaded. */
  fromCache: boolean;
}

/** Makes sure the model's files are in the cache (downloading what is missing) and returns the snapshot folder. */
export async function ensureHubFiles(ref: HubRef, opts: HubNodeOptions = {}): Promise<HubFiles> {
  const endpoint = normalizeEndpoint(opts.endpoint ?? DEFAULT_HF_ENDPOINT);
  const repo = new RepoCache(opts.cacheDir ?? hubCacheDir(), ref);
  const id = formatHubRef(ref, { prefix: true, full: true });
  const known = repo.commitOf();
  const usable = known !== null && repo.has(known, F.config) && cachedWeights(repo, known) !== null;
  const cached = (): HubFiles => {
    // A vision model whose preprocessor_config.json the cache knows nothing of (a download without it) would be
    // preprocessed by guessed defaults: refused rather than run approximately.
    if (!extrasKnown(repo, known!) && vision(repo, known!)) {
      fail(`${id}: ${F.preprocessor} is not in the cache at ${repo.dir} and the hub cannot be asked${opts.offline ? ' (HF_HUB_OFFLINE is set)' : ''}; without it the image preprocessing is not known`);
    }
    opts.beforeWeights?.(readFileSync(join(repo.snapshotDir(known!), F.config), 'utf8'));
    return { dir: repo.snapshotDir(known!), commit: known!, fromCache: true };
  };
  // Everything there: no network at all. Only the tokenizer (or a vision model's preprocessor_config.json) unknown
  // (a Python download without it): ask the hub, and open without a tokenizer when it cannot be reached.
  if (usable && (extrasKnown(repo, known) || opts.offline)) return cached();
  if (opts.offline) fail(`${id} is not (completely) in the cache at ${repo.dir}, and HF_HUB_OFFLINE is set`);
  if (usable) {
    try {
      return await download(ref, opts, endpoint, repo);
    } catch (e) {
      if (e instanceof PathlightError && /could not reach/.test(e.message)) return cached();
      throw e;
    }
  }
  return download(ref, opts, endpoint, repo);
}

async function download(ref: HubRef, opts: HubNodeOptions, endpoint: string, repo: RepoCache): Promise<HubFiles> {
  const id = formatHubRef(ref, { prefix: true, full: true });
  const ctx: Ctx = { endpoint, ref, opts, repo, done: { loaded: 0, total: 0 } };
  // config.json first: it is small, and its X-Repo-Commit pins the commit every other file is fetched at.
  const cfg = await get(ctx, ref.revision, F.config, false);
  if (cfg.kind !== 'ok') throw new PathlightError(`${id}: config.json is missing`);
  const commit = cfg.commit ?? ref.revision; // a server that names no commit: the snapshot is named by the revision
  repo.writeRef(ref.revision, commit);
  if (repo.has(commit, F.config)) await discard(cfg);
  else await save(ctx, cfg, commit, F.config);
  opts.beforeWeights?.(readFileSync(join(repo.snapshotDir(commit), F.config), 'utf8'));
  const fetchFile = async (file: string, optional: boolean): Promise<boolean> => {
    if (repo.has(commit, file)) return true;
    if (optional && repo.noExist(commit, file)) return false;
    const got = await get(ctx, commit, file, optional);
    if (got.kind === 'absent') {
      repo.markNoExist(commit, file);
      return false;
    }
    await save(ctx, got, commit, file);
    return true;
  };
  if (!(await fetchFile(F.single, true))) {
    if (!(await fetchFile(F.index, true))) {
      const pt = await get(ctx, commit, F.pytorch, true).catch(() => ({ kind: 'absent' as const }));
      if (pt.kind === 'ok') await discard(pt);
      fail(noWeightsMessage(ref, pt.kind === 'ok'));
    }
    const index = JSON.parse(readFileSync(join(repo.snapshotDir(commit), F.index), 'utf8')) as { metadata?: { total_size?: number } };
    if (typeof index.metadata?.total_size === 'number') ctx.done.total = ctx.done.loaded + index.metadata.total_size;
    for (const shard of parseShardIndex(JSON.stringify(index))) await fetchFile(shard, false);
  }
  if (vision(repo, commit)) {
    // An image classifier: its image processor's settings (absent: the processor's defaults), no tokenizer.
    await fetchFile(F.preprocessor, true);
  } else if (!(await fetchFile(F.tokenizer, true))) {
    if (await fetchFile(F.vocab, true)) await fetchFile(F.merges, true);
  }
  return { dir: repo.snapshotDir(commit), commit, fromCache: false };
}

/**
 * Opens `hf:owner/name[@rev]` (or a HubRef): the files from the cache or the endpoint, then the model from the
 * snapshot folder, named `owner/name[@rev]`.
 */
export async function loadHubModel(ref: HubRef, opts: HubNodeOptions & HubLoadOptions = {}): Promise<Model> {
  const files = await ensureHubFiles(ref, opts);
  return loadModelDir(files.dir, { onProgress: opts.onWeights, signal: opts.signal, name: formatHubRef(ref) });
}
