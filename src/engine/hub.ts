/**
 * Models on the Hugging Face hub by name: `hf:owner/name@revision`. Parsing and checking names, the resolve URLs
 * files are downloaded from, and clear messages for the ways a download fails. Pure: no DOM, no Node, no tfjs;
 * used by the CLI (hub-node.ts), the worker (src/worker/hub-fetch.ts) and the app.
 */
import { fail } from './errors';

/** The public hub; `HF_ENDPOINT` (CLI) or `?hfEndpoint=` / the app's setting (browser) point elsewhere. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';
export const HUB_PREFIX = 'hf:';

/** A model repository at a revision (a branch, a tag or a commit hash). */
export interface HubRef {
  owner: string;
  name: string;
  revision: string;
}

/** An owner or repository name as the hub allows it: letters, digits, `-`, `_`, `.`; no `--` or `..`; ≤ 96 chars. */
const PART_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;
/** A branch, tag (`v1.0`), commit hash or pull-request ref (`refs/pr/3`). */
const REVISION_RE = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,127}$/;

export function isCommitHash(rev: string): boolean {
  return /^[0-9a-f]{40}$/.test(rev);
}

/** Why `part` is not a valid owner or repository name, or null. */
function partProblem(part: string, what: string): string | null {
  if (part === '') return `the ${what} is empty`;
  if (!PART_RE.test(part)) return `the ${what} "${part.slice(0, 100)}" may hold only letters, digits, "-", "_" and "." (at most 96, not starting or ending with "-" or ".")`;
  if (part.includes('--') || part.includes('..')) return `the ${what} "${part}" may not contain "--" or ".."`;
  return null;
}

export function revisionProblem(rev: string): string | null {
  if (!REVISION_RE.test(rev)) return `the revision "${rev.slice(0, 140)}" is not a branch, tag or commit hash (letters, digits, "._/-", at most 128)`;
  if (rev.includes('..') || rev.includes('//') || rev.endsWith('/') || rev.endsWith('.lock')) return `the revision "${rev}" is not a valid git ref`;
  return null;
}

/** Whether `s` names a hub model (`hf:` prefix), as the CLI's --model and a link's ?model= tell hub names apart. */
export function isHubName(s: string): boolean {
  return s.startsWith(HUB_PREFIX);
}

/**
 * `owner/name`, `owner/name@rev`, with or without the `hf:` prefix (a hub page URL
 * `https://huggingface.co/owner/name` is taken too). Throws a PathlightError naming what is wrong.
 */
export function parseHubRef(input: string): HubRef {
  let s = input.trim();
  if (s.startsWith(HUB_PREFIX)) s = s.slice(HUB_PREFIX.length);
  const page = /^https?:\/\/(?:www\.)?(?:huggingface\.co|hf\.co)\/([^/?#]+)\/([^/?#]+)(?:\/tree\/([^?#]+))?\/?$/.exec(s);
  let path = s;
  let revision = DEFAULT_REVISION;
  if (page) {
    path = `${page[1]}/${page[2]}`;
    if (page[3]) revision = decodeURIComponent(page[3]);
  } else {
    const at = s.indexOf('@');
    if (at >= 0) {
      path = s.slice(0, at);
      revision = s.slice(at + 1);
    }
  }
  const parts = path.split('/');
  if (parts.length !== 2) fail(`"${input.slice(0, 200)}" is not a hub model name: give owner/name, optionally @revision (e.g. openai-community/gpt2@main)`);
  const [owner, name] = parts;
  const problem = partProblem(owner, 'owner') ?? partProblem(name, 'model name') ?? revisionProblem(revision);
  if (problem) fail(`"${input.slice(0, 200)}" is not a hub model name: ${problem}`);
  return { owner, name, revision };
}

/** `owner/name`. */
export function repoId(ref: HubRef): string {
  return `${ref.owner}/${ref.name}`;
}

/** `owner/name@rev` (the `@main` left out unless `full`), or with the `hf:` prefix for links and the CLI. */
export function formatHubRef(ref: HubRef, opts: { prefix?: boolean; full?: boolean } = {}): string {
  const rev = ref.revision === DEFAULT_REVISION && !opts.full ? '' : `@${ref.revision}`;
  return `${opts.prefix ? HUB_PREFIX : ''}${repoId(ref)}${rev}`;
}

/**
 * An endpoint as `huggingface_hub` takes it (`HF_ENDPOINT`): an http(s) origin, optionally with a path, without a
 * trailing slash. Throws for anything else.
 */
export function normalizeEndpoint(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    fail(`the hub endpoint "${raw.slice(0, 200)}" is not a URL (e.g. https://huggingface.co)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(`the hub endpoint "${raw.slice(0, 200)}" must be an http:// or https:// address`);
  if (u.username || u.password) fail('the hub endpoint may not carry a user name or password');
  if (u.search || u.hash) fail('the hub endpoint may not carry a query or fragment');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** `{endpoint}/{owner}/{name}/resolve/{rev}/{file}`, the revision percent-encoded as the hub's client does. */
export function resolveUrl(endpoint: string, ref: HubRef, file: string): string {
  return `${endpoint}/${ref.owner}/${ref.name}/resolve/${encodeURIComponent(ref.revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** The repository's page on the endpoint (where gated models are accepted). */
export function repoPageUrl(endpoint: string, ref: HubRef): string {
  return `${endpoint}/${ref.owner}/${ref.name}`;
}

/** Splits a resolve URL of `endpoint` back into its model and file; null for any other URL. */
export function parseResolveUrl(endpoint: string, url: string): { ref: HubRef; file: string } | null {
  if (!url.startsWith(endpoint + '/')) return null;
  const m = /^([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.slice(endpoint.length + 1));
  if (!m) return null;
  try {
    return { ref: { owner: m[1], name: m[2], revision: decodeURIComponent(m[3]) }, file: m[4].split('/').map(decodeURIComponent).join('/') };
  } catch {
    return null;
  }
}

/**
 * The files a model is opened from, in order (the weights: one of the first two; then, for a text model, the
 * tokenizer, for a vision model preprocessor_config.json, both optional).
 */
export const HUB_FILES = { config: 'config.json', single: 'model.safetensors', index: 'model.safetensors.index.json', tokenizer: 'tokenizer.json', vocab: 'vocab.json', merges: 'merges.txt', preprocessor: 'preprocessor_config.json', pytorch: 'pytorch_model.bin' } as const;

/**
 * Whether config.json's text is a vision model's (`model_type` vit), which takes preprocessor_config.json (its image
 * processor's settings) and no tokenizer. Every loader (the CLI's hub download, the browser's hub and folder-URL
 * loads) asks this one question.
 */
export function isVisionConfigText(config: string): boolean {
  try {
    const c = JSON.parse(config) as { model_type?: unknown } | null;
    return !!c && typeof c === 'object' && c.model_type === 'vit';
  } catch {
    return false; // not JSON: parsing the config refuses it with its own message
  }
}

/** What a failed response says (header values the hub sets, read where the server lets the page read them). */
export interface FailedResponse {
  status: number;
  /** `X-Error-Code`: GatedRepo, RepoNotFound, RevisionNotFound, EntryNotFound, … */
  errorCode?: string | null;
  /** `X-Error-Message`. */
  errorMessage?: string | null;
  /** The origin the request ended at after redirects, when it is not the endpoint's (the hub's file storage). */
  redirectedTo?: string | null;
}

/**
 * One clear line for a failed download of `file` of `ref`. `where`: `cli` (HF_TOKEN can help) or `browser`.
 */
export function hubHttpMessage(endpoint: string, ref: HubRef, file: string, r: FailedResponse, where: 'cli' | 'browser'): string {
  const id = formatHubRef(ref, { prefix: true, full: true });
  const page = repoPageUrl(endpoint, ref);
  const token = where === 'cli' ? 'set HF_TOKEN to a token of an account that has access' : 'the workbench downloads public models only (the CLI takes HF_TOKEN)';
  const code = r.errorCode ?? '';
  const extra = r.errorMessage ? ` (the hub says: ${r.errorMessage.slice(0, 200)})` : '';
  if (r.redirectedTo) {
    return `${id}: the hub sent ${file} to its file storage at ${r.redirectedTo}, which answered HTTP ${r.status}${r.status === 403 ? ' (the signed link was refused or has expired)' : ''}; try again, and if it persists the storage is down or blocked here`;
  }
  if (code === 'GatedRepo' || (r.status === 403 && code !== 'RepoNotFound')) {
    return `${id} is gated: accept its terms at ${page} while signed in, then ${token}${extra}`;
  }
  if (code === 'RepoNotFound' || (r.status === 401 && !code)) {
    return `${id}: the hub has no public repository ${repoId(ref)} (HTTP ${r.status}: it does not exist, or it is private or gated; check the name at ${page}; for private models ${token})${extra}`;
  }
  if (r.status === 401) return `${id}: not authorised (HTTP 401); ${token}${extra}`;
  if (code === 'RevisionNotFound') return `${id}: the repository has no revision "${ref.revision}" (a branch, tag or commit hash)${extra}`;
  if (r.status === 404) return `${id}: the repository has no ${file} at revision "${ref.revision}" (HTTP 404)${extra}`;
  if (r.status === 429) return `${id}: the hub is rate-limiting this address (HTTP 429); wait a minute and try again`;
  if (r.status >= 500) return `${id}: the hub had a server error on ${file} (HTTP ${r.status}); try again later`;
  return `${id}: downloading ${file} failed with HTTP ${r.status}${extra}`;
}

export function truncatedMessage(ref: HubRef, file: string, got: number, expected: number): string {
  return `${formatHubRef(ref, { prefix: true, full: true })}: the download of ${file} was cut short (${got} of ${expected} bytes arrived); nothing of it was kept, try again`;
}

export function unreachableMessage(endpoint: string, ref: HubRef, file: string, detail: string): string {
  return `${formatHubRef(ref, { prefix: true, full: true })}: could not reach ${endpoint} for ${file} (${detail}), and the file is not in the offline cache`;
}

export function noWeightsMessage(ref: HubRef, hasPytorch: boolean): string {
  const id = formatHubRef(ref, { prefix: true, full: true });
  return hasPytorch
    ? `${id} has only PyTorch weights (pytorch_model.bin), which Pathlight does not read: it needs model.safetensors or a sharded model.safetensors.index.json (a safetensors conversion may exist as a pull-request revision, e.g. @refs/pr/1)`
    : `${id} has neither model.safetensors nor model.safetensors.index.json at revision "${ref.revision}"`;
}

/** Progress of one file of a hub download (and of the whole load so far). */
export interface DownloadProgress {
  file: string;
  fileLoaded: number;
  /** 0 when the server did not say. */
  fileTotal: number;
  /** Bytes of every file of this load so far, and the total where known (else the sum so far). */
  loadedBytes: number;
  totalBytes: number;
  /** This file's average rate since it started. */
  bytesPerSecond: number;
}

/**
 * Counts one file's bytes and reports them at most every `everyMs` (and at the end), with the rate since the
 * file started.
 */
export function progressMeter(file: string, fileTotal: number, base: { loaded: number; total: number }, report: ((p: DownloadProgress) => void) | undefined, everyMs = 100, now: () => number = () => Date.now()) {
  const t0 = now();
  let last = -Infinity;
  let n = 0;
  const emit = () => {
    const s = Math.max(1e-3, (now() - t0) / 1000);
    report?.({ file, fileLoaded: n, fileTotal, loadedBytes: base.loaded + n, totalBytes: Math.max(base.total, base.loaded + Math.max(n, fileTotal)), bytesPerSecond: n / s });
  };
  return {
    add(bytes: number) {
      n += bytes;
      if (report && now() - last >= everyMs) {
        last = now();
        emit();
      }
    },
    done() {
      emit();
      return n;
    },
    get bytes() {
      return n;
    },
  };
}
