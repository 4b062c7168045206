/**
 * A stand-in for the Hugging Face hub on loopback, for the CLI tests and the e2e tests: the hub's URL layout
 * (`/{owner}/{name}/resolve/{rev}/{file}`), its headers (X-Repo-Commit, ETag, X-Linked-Etag/Size, X-Error-Code),
 * redirects of weights to a second "CDN" origin, CORS, and repositories that fail in each way a download can.
 *
 * Repositories (owner `pathlight-test`):
 *   FIXTURE, FIXTURE-sharded     the four architecture fixtures, whole and split into three shards (+ tokenizer.json)
 *   gpt2-cdn                     weights redirected (302) to the CDN origin, as the hub does for LFS files
 *   gated / private / gone       401 GatedRepo / 401 RepoNotFound / 404 RepoNotFound on every file
 *   broken                       config.json fine, 500 on the weights
 *   cdn-expired                  weights redirected to the CDN, which answers 403
 *   truncated                    weights announced in full, half sent, connection dropped
 *   stall                        weights: 8 KiB, then silence with the connection open
 *   slow                         weights trickled out (8 KiB every `slowMs`) for progress and cancel tests
 *   pytorch-only                 config.json and pytorch_model.bin, no safetensors
 *   huge                         a config of ~39 G parameters (the memory check refuses it before the weights)
 *   vit-deit                     the vit-tiny image classifier (random weights) with a DeiT-style
 *                                preprocessor_config.json (DEIT_PREPROCESSOR: resize 40 bicubic, center crop 32), no tokenizer
 *   vit-nopre                    the same classifier without preprocessor_config.json (the processor's defaults)
 * Any revision other than `main` or the repository's commit hash is 404 RevisionNotFound.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesSource } from '../../src/engine/bytes';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { encodeSafetensors, type NamedTensor } from '../../src/engine/safetensors-write';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const OWNER = 'pathlight-test';
export const FIXTURES = ['gpt2-tiny', 'gptneo-tiny', 'pythia-tiny', 'llama-tiny'] as const;

export type Files = Record<string, Buffer>;
type Behaviour = 'ok' | 'cdn' | 'gated' | 'private' | 'gone' | 'broken' | 'cdn-expired' | 'truncated' | 'slow' | 'stall';
interface Repo {
  files: Files;
  behaviour: Behaviour;
  commit: string;
}

const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function fixtureFiles(fixture: string): Files {
  return {
    'config.json': readFileSync(join(ROOT, 'test', 'fixtures', fixture, 'config.json')),
    'model.safetensors': readFileSync(join(ROOT, 'test', 'fixtures', fixture, 'model.safetensors')),
    'tokenizer.json': readFileSync(join(ROOT, 'public', 'models', fixture, 'tokenizer.json')),
  };
}

/** The fixture's tensors split into `n` shards with an index, as test/engine/sharded.test.ts does. */
export async function shardedFiles(fixture: string, n = 3): Promise<Files> {
  const whole = fixtureFiles(fixture);
  const src = bytesSource(new Uint8Array(whole['model.safetensors']));
  const header = await parseSafetensorsHeader(src);
  const tensors: NamedTensor[] = [];
  for (const e of header.tensors.values()) tensors.push({ name: e.name, shape: e.shape, data: await readTensor(src, header, e) });
  const shards: NamedTensor[][] = Array.from({ length: n }, () => []);
  tensors.forEach((t, i) => shards[Math.floor((i * n) / tensors.length)].push(t));
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  const map: Record<string, string> = {};
  shards.forEach((s, i) => s.forEach((t) => (map[t.name] = names[i])));
  const out: Files = { 'config.json': whole['config.json'], 'tokenizer.json': whole['tokenizer.json'] };
  let total = 0;
  shards.forEach((s, i) => {
    out[names[i]] = Buffer.from(encodeSafetensors(s));
    total += out[names[i]].length;
  });
  out['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: { total_size: total }, weight_map: map }));
  return out;
}

/**
 * facebook/deit-*-patch16-224's preprocessor_config.json (its older, feature-extractor form) at the 32×32 of the
 * vit-tiny fixture: resize to 40×40 with PIL's bicubic filter, center crop 32×32, ImageNet mean and std. The same
 * settings as the "deit-up" pipeline of test/fixtures/pil-reference (scripts/pil-reference.py).
 */
export const DEIT_PREPROCESSOR = { crop_size: 32, do_center_crop: true, do_normalize: true, do_resize: true, feature_extractor_type: 'DeiTFeatureExtractor', image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225], resample: 3, size: 40 };

function vitFiles(preprocessor: object | null): Files {
  const dir = join(ROOT, 'test', 'fixtures', 'vit-tiny');
  const files: Files = { 'config.json': readFileSync(join(dir, 'config.json')), 'model.safetensors': readFileSync(join(dir, 'model.safetensors')) };
  if (preprocessor) files['preprocessor_config.json'] = Buffer.from(JSON.stringify(preprocessor, null, 2) + '\n');
  return files;
}

async function buildRepos(): Promise<Map<string, Repo>> {
  const repos = new Map<string, Repo>();
  const add = (name: string, files: Files, behaviour: Behaviour = 'ok') => repos.set(name, { files, behaviour, commit: sha1(`${OWNER}/${name}`) });
  for (const f of FIXTURES) {
    add(f, fixtureFiles(f));
    add(`${f}-sharded`, await shardedFiles(f));
  }
  for (const b of ['cdn', 'gated', 'private', 'gone', 'broken', 'cdn-expired', 'truncated', 'slow', 'stall'] as const) add(b === 'cdn' ? 'gpt2-cdn' : b, fixtureFiles('gpt2-tiny'), b);
  const cfg = fixtureFiles('gpt2-tiny')['config.json'];
  add('pytorch-only', { 'config.json': cfg, 'pytorch_model.bin': Buffer.from('not a real pickle') });
  // A config far too large for any backend here (about 39 G parameters); its weights must never be requested.
  const big = { ...JSON.parse(cfg.toString()), n_layer: 48, n_head: 64, n_embd: 8192, vocab_size: 50257, n_positions: 2048, n_ctx: 2048 };
  add('huge', { ...fixtureFiles('gpt2-tiny'), 'config.json': Buffer.from(JSON.stringify(big)) });
  add('vit-deit', vitFiles(DEIT_PREPROCESSOR));
  add('vit-nopre', vitFiles(null));
  return repos;
}

export interface HubServer {
  /** The endpoint (HF_ENDPOINT / ?hfEndpoint=). */
  endpoint: string;
  /** The CDN origin weights are redirected to. */
  cdn: string;
  /** Every request, as `METHOD /path` (both origins). */
  requests: string[];
  commitOf(name: string): string;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, X-Error-Code, X-Error-Message, Content-Length',
};

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer | string, head = false): void {
  res.writeHead(status, { ...CORS, ...headers });
  res.end(head ? undefined : body);
}

function errorReply(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' }, JSON.stringify({ error: message }));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `extra`: more repositories (name → files) served as they are, e.g. a large checkpoint a test generates. */
export async function startHubServer(opts: { slowMs?: number; extra?: Record<string, Files> } = {}): Promise<HubServer> {
  const repos = await buildRepos();
  for (const [name, files] of Object.entries(opts.extra ?? {})) repos.set(name, { files, behaviour: 'ok', commit: sha1(`${OWNER}/${name}`) });
  const requests: string[] = [];
  const blobs = new Map<string, Buffer>();
  for (const r of repos.values()) for (const b of Object.values(r.files)) blobs.set(sha256(b), b);
  let cdnOrigin = '';

  const cdn = createServer((req, res) => {
    requests.push(`${req.method} cdn${req.url}`);
    const m = /^\/blobs\/([0-9a-f]{64})\?(expired=1)?/.exec(req.url ?? '');
    if (!m) return send(res, 404, {}, 'no such blob');
    if (m[2]) return send(res, 403, { 'content-type': 'application/xml' }, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    const body = blobs.get(m[1]);
    if (!body) return send(res, 404, {}, 'no such blob');
    send(res, 200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length), etag: `"${m[1]}"` }, body, req.method === 'HEAD');
  });

  const hub = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'OPTIONS') return send(res, 204, { 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': '*' });
    const m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/([^?]+)/.exec(req.url ?? '');
    if (!m || m[1] !== OWNER) return errorReply(res, 404, 'RepoNotFound', 'Repository not found');
    const [, , name, revRaw, fileRaw] = m;
    const rev = decodeURIComponent(revRaw);
    const file = decodeURIComponent(fileRaw);
    const repo = repos.get(name);
    if (!repo || repo.behaviour === 'gone') return errorReply(res, 404, 'RepoNotFound', 'Repository not found');
    if (repo.behaviour === 'private') return errorReply(res, 401, 'RepoNotFound', `Repository Not Found for url: ${req.url}. Please make sure you specified the correct repo_id and repo_type. If you are trying to access a private or gated repo, make sure you are authenticated.`);
    if (repo.behaviour === 'gated') return errorReply(res, 401, 'GatedRepo', `Access to model ${OWNER}/${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    if (rev !== 'main' && rev !== repo.commit) return errorReply(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const body = repo.files[file];
    if (!body) return errorReply(res, 404, 'EntryNotFound', `${file} does not exist on "${rev}"`);
    const head = req.method === 'HEAD';
    const weights = file.endsWith('.safetensors');
    const base = { 'x-repo-commit': repo.commit, 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
    if (weights && repo.behaviour === 'broken') return errorReply(res, 500, 'InternalServerError', 'Internal Error - We are working hard to fix this as soon as possible!');
    if (weights && (repo.behaviour === 'cdn' || repo.behaviour === 'cdn-expired')) {
      const sha = sha256(body);
      const loc = `${cdnOrigin}/blobs/${sha}?${repo.behaviour === 'cdn-expired' ? 'expired=1&' : ''}sig=abc`;
      return send(res, 302, { ...base, location: loc, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(body.length), etag: `"${sha}"` });
    }
    const etag = weights ? `"${sha256(body)}"` : `"${sha1(body)}"`;
    const headers = { ...base, etag, 'content-length': String(body.length), ...(weights ? { 'x-linked-etag': etag, 'x-linked-size': String(body.length) } : {}) };
    if (weights && repo.behaviour === 'truncated' && !head) {
      res.writeHead(200, { ...CORS, ...headers });
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    if (weights && repo.behaviour === 'stall' && !head) {
      res.writeHead(200, { ...CORS, ...headers });
      res.write(body.subarray(0, 8192));
      return;
    }
    if (weights && repo.behaviour === 'slow' && !head) {
      res.writeHead(200, { ...CORS, ...headers });
      let at = 0;
      const step = () => {
        if (res.destroyed) return;
        const next = Math.min(body.length, at + 8192);
        res.write(body.subarray(at, next));
        at = next;
        if (at >= body.length) res.end();
        else timer = setTimeout(step, opts.slowMs ?? 200);
      };
      let timer = setTimeout(step, 0);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    send(res, 200, headers, body, head);
  });

  const endpoint = await listen(hub);
  cdnOrigin = await listen(cdn);
  return {
    endpoint,
    cdn: cdnOrigin,
    requests,
    commitOf: (name) => repos.get(name)!.commit,
    close: async () => {
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
