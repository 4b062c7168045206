import { describe, expect, it } from 'vitest';
import { hubEndpointVerdict, modelUrlVerdict } from '../../src/app/link-policy';
import { formatHubRef, hubHttpMessage, normalizeEndpoint, parseHubRef, parseResolveUrl, progressMeter, resolveUrl, type DownloadProgress } from '../../src/engine/hub';
import { CURATED_MODELS, curatedLargest } from '../../src/engine/hub-models';
import { estimateConfig } from '../../src/engine/memory-check';
import { estimateFromParams, fitVerdict, WASM_HEAP_BYTES, type DeviceLimits } from '../../src/engine/memory-fit';
import { decodeSession, encodeSession } from '../../src/session/codec';
import { defaultSession, modelLabel, SessionModel } from '../../src/session/schema';
import { sessionToStore, storeToSession } from '../../src/session/state';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const HUB = 'https://huggingface.co';

describe('hub names', () => {
  it('parses owner/name, @revision, the hf: prefix and hub page URLs', () => {
    expect(parseHubRef('openai-community/gpt2')).toEqual({ owner: 'openai-community', name: 'gpt2', revision: 'main' });
    expect(parseHubRef('hf:EleutherAI/pythia-70m@v0')).toEqual({ owner: 'EleutherAI', name: 'pythia-70m', revision: 'v0' });
    expect(parseHubRef(' Qwen/Qwen2.5-0.5B@refs/pr/3 ')).toEqual({ owner: 'Qwen', name: 'Qwen2.5-0.5B', revision: 'refs/pr/3' });
    expect(parseHubRef('https://huggingface.co/roneneldan/TinyStories-1M')).toEqual({ owner: 'roneneldan', name: 'TinyStories-1M', revision: 'main' });
    expect(parseHubRef('https://huggingface.co/HuggingFaceTB/SmolLM2-135M/tree/abc')).toMatchObject({ name: 'SmolLM2-135M', revision: 'abc' });
  });

  it.each([
    ['gpt2', /give owner\/name/],
    ['a/b/c', /give owner\/name/],
    ['a--b/c', /may not contain "--"/],
    ['own/na..me', /may not contain/],
    ['-x/y', /may hold only/],
    ['x/y@', /revision "" is not/],
    ['x/y@a/../b', /not a valid git ref/],
    ['x/y@../etc', /is not a branch, tag or commit/],
    ['x/y z', /may hold only/],
    ['x/' + 'n'.repeat(97), /at most 96/],
  ])('refuses %s', (s, msg) => {
    expect(() => parseHubRef(s)).toThrow(msg);
  });

  it('builds resolve URLs (revision percent-encoded) and reads them back', () => {
    const ref = parseHubRef('Qwen/Qwen2.5-0.5B@refs/pr/3');
    const url = resolveUrl(HUB, ref, 'model.safetensors');
    expect(url).toBe('https://huggingface.co/Qwen/Qwen2.5-0.5B/resolve/refs%2Fpr%2F3/model.safetensors');
    expect(parseResolveUrl(HUB, url)).toEqual({ ref, file: 'model.safetensors' });
    expect(parseResolveUrl('http://other', url)).toBeNull();
    expect(formatHubRef(ref, { prefix: true })).toBe('hf:Qwen/Qwen2.5-0.5B@refs/pr/3');
    expect(formatHubRef(parseHubRef('a/b'))).toBe('a/b');
    expect(formatHubRef(parseHubRef('a/b'), { full: true })).toBe('a/b@main');
  });

  it('normalizes endpoints as HF_ENDPOINT is given', () => {
    expect(normalizeEndpoint('https://hf-mirror.com/')).toBe('https://hf-mirror.com');
    expect(normalizeEndpoint('http://127.0.0.1:8080/hub/')).toBe('http://127.0.0.1:8080/hub');
    expect(() => normalizeEndpoint('file:///x')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => normalizeEndpoint('https://u:p@x')).toThrow(/user name/);
    expect(() => normalizeEndpoint('nonsense')).toThrow(/not a URL/);
  });

  it('says what each failure means', () => {
    const ref = parseHubRef('a/b');
    const msg = (status: number, errorCode?: string, redirectedTo?: string, where: 'cli' | 'browser' = 'cli') => hubHttpMessage(HUB, ref, 'model.safetensors', { status, errorCode, redirectedTo }, where);
    expect(msg(401, 'GatedRepo')).toMatch(/is gated: accept its terms at https:\/\/huggingface.co\/a\/b .*HF_TOKEN/);
    expect(msg(401, 'GatedRepo', undefined, 'browser')).toMatch(/downloads public models only/);
    expect(msg(403)).toMatch(/is gated/);
    expect(msg(401)).toMatch(/no public repository a\/b/);
    expect(msg(404, 'RevisionNotFound')).toMatch(/no revision "main"/);
    expect(msg(404, 'EntryNotFound')).toMatch(/no model.safetensors at revision "main"/);
    expect(msg(503)).toMatch(/server error .*HTTP 503/);
    expect(msg(429)).toMatch(/rate-limiting/);
    expect(msg(403, undefined, 'https://cdn-lfs.hf.co')).toMatch(/file storage at https:\/\/cdn-lfs.hf.co, which answered HTTP 403/);
  });

  it('reports progress with a rate, at most every interval and once at the end', () => {
    let t = 0;
    const seen: DownloadProgress[] = [];
    const m = progressMeter('model.safetensors', 3e6, { loaded: 1e6, total: 0 }, (p) => seen.push(p), 100, () => t);
    for (let i = 0; i < 30; i++) {
      t += 10;
      m.add(1e5);
    }
    m.done();
    expect(seen.length).toBeLessThanOrEqual(5);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ file: 'model.safetensors', fileLoaded: 3e6, fileTotal: 3e6, loadedBytes: 4e6, totalBytes: 4e6 });
    expect(last.bytesPerSecond).toBeCloseTo(1e7, -5);
  });
});

describe('the curated list', () => {
  it('holds the models of the brief with plausible figures and pinned revisions', () => {
    const repos = CURATED_MODELS.map((m) => m.repo);
    for (const r of ['openai-community/gpt2', 'distilbert/distilgpt2', 'openai-community/gpt2-medium', 'EleutherAI/pythia-14m', 'EleutherAI/pythia-70m', 'EleutherAI/pythia-160m', 'EleutherAI/pythia-410m', 'roneneldan/TinyStories-1M', 'roneneldan/TinyStories-8M', 'roneneldan/TinyStories-33M', 'HuggingFaceTB/SmolLM2-135M', 'HuggingFaceTB/SmolLM2-360M', 'Qwen/Qwen2.5-0.5B'])
      expect(repos).toContain(r);
    for (const m of CURATED_MODELS) {
      expect(() => parseHubRef(`${m.repo}@${m.revision}`)).not.toThrow();
      expect(m.params).toBeGreaterThan(1e6);
      expect(m.download).toBeGreaterThanOrEqual(m.params * 2);
    }
  });
});

describe('the curated image classifiers', () => {
  // config.json of each, as its repository has it (the fields that set its size).
  const configs: Record<string, object> = {
    'facebook/deit-tiny-patch16-224': { hidden_size: 192, num_attention_heads: 3, intermediate_size: 768 },
    'facebook/deit-small-patch16-224': { hidden_size: 384, num_attention_heads: 6, intermediate_size: 1536 },
    'google/vit-base-patch16-224': { hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 },
  };
  it.each(Object.keys(configs))('%s: its parameters and its largest tensor are those of its config', (repo) => {
    const m = CURATED_MODELS.find((c) => c.repo === repo)!;
    expect([m.modelType, m.family, m.stored]).toEqual(['vit', 'ViT/DeiT', 'float32']);
    const labels = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), `class ${i}`]));
    const est = estimateConfig({ model_type: 'vit', num_hidden_layers: 12, image_size: 224, patch_size: 16, num_channels: 3, qkv_bias: true, id2label: labels, ...configs[repo] });
    expect(Math.abs(est.params - m.params) / est.params).toBeLessThan(0.02);
    expect(est.largestTensorBytes).toBe(curatedLargest(m).elements * 4);
    expect(curatedLargest(m).name).toBe(est.largestTensor === 'classifier.weight' ? 'the classifier' : 'an MLP weight');
    // The working memory of an image classifier is that of every token of one image ([CLS] + 196 patches).
    const wasm: DeviceLimits = { backend: 'wasm', totalBytes: WASM_HEAP_BYTES, maxTensorBytes: null, softBytes: null, source: 'WASM heap' };
    expect(fitVerdict(est, wasm, repo).message).toMatch(/MB working memory for one image of 197 tokens\)/);
  });
});

describe('memory honesty', () => {
  const wasm: DeviceLimits = { backend: 'wasm', totalBytes: WASM_HEAP_BYTES, maxTensorBytes: null, softBytes: null, source: 'WASM heap' };
  const gpu: DeviceLimits = { backend: 'webgpu', totalBytes: null, maxTensorBytes: 128 * 2 ** 20, softBytes: 4 * 2 ** 30, source: 'WebGPU adapter limits' };

  it('counts a config’s tensors: GPT-2 small is about 124M parameters, its embedding the largest tensor', () => {
    const cfg = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'gpt2-tiny', 'config.json'), 'utf8'));
    const est = estimateConfig({ ...cfg, n_layer: 12, n_head: 12, n_embd: 768, vocab_size: 50257, n_positions: 1024, n_ctx: 1024 });
    expect(est.params / 1e6).toBeCloseTo(124.4, 0);
    expect(est.largestTensor).toBe('wte.weight');
    expect(est.largestTensorBytes).toBe(50257 * 768 * 4);
  });

  it('refuses with figures, warns near the limit, and names WebGPU’s buffer limit', () => {
    expect(fitVerdict(estimateFromParams(124e6), wasm).kind).toBe('fits');
    const tight = fitVerdict(estimateFromParams(900e6), wasm, 'hf:x/y');
    expect(tight.kind).toBe('tight');
    const big = fitVerdict(estimateFromParams(2e9), wasm, 'hf:x/y');
    expect(big).toMatchObject({ kind: 'too-big' });
    expect(big.message).toMatch(/hf:x\/y needs about 8.80 GB on wasm \(8.00 GB of float32 weights \+ 800.0 MB working memory .*\); that does not fit in the 4.29 GB of the WASM heap/);
    const qwenEmbed = { ...estimateFromParams(494e6), largestTensorBytes: 151936 * 896 * 4, largestTensor: 'embed_tokens.weight' };
    expect(fitVerdict(qwenEmbed, gpu).message).toMatch(/largest tensor \(embed_tokens.weight\) is 544.5 MB, over the 134.2 MB one buffer may hold \(WebGPU adapter limits\)/);
    expect(fitVerdict(estimateFromParams(600e6), gpu).kind).toBe('tight');
  });
});

describe('sessions and links that name a hub model', () => {
  it('a hub model round-trips through a link; bad names are repaired to the default', () => {
    const s = { ...defaultSession(), model: { kind: 'hub' as const, name: 'EleutherAI/pythia-70m', revision: 'main' } };
    expect(decodeSession(encodeSession(s)).session.model).toEqual(s.model);
    expect(modelLabel(s.model)).toBe('hf:EleutherAI/pythia-70m@main');
    expect(SessionModel.safeParse({ kind: 'hub', name: 'gpt2', revision: 'main' }).success).toBe(false);
    expect(SessionModel.safeParse({ kind: 'hub', name: 'a/b', revision: '../x' }).success).toBe(false);
    const bad = decodeSession(`json=${encodeURIComponent(JSON.stringify({ model: { kind: 'hub', name: 'hf:a/b@c', revision: 'main' } }))}`);
    expect(bad.session.model).toEqual(defaultSession().model);
    expect(bad.notices.join(' ')).toMatch(/not a hub model name/);
    const patch = sessionToStore(s);
    expect(patch.modelRef).toEqual({ kind: 'hub', name: 'EleutherAI/pythia-70m', revision: 'main' });
    expect(storeToSession({ ...patch, selected: null }).model).toEqual(s.model);
  });

  it('the public hub and the user’s own endpoint load at once; a link’s other endpoint is confirmed first', () => {
    const page = 'http://127.0.0.1:4173/';
    expect(hubEndpointVerdict('https://huggingface.co', 'a/b', page).kind).toBe('load');
    expect(hubEndpointVerdict('http://127.0.0.1:4173', 'a/b', page).kind).toBe('load');
    expect(hubEndpointVerdict('https://hf-mirror.example', 'a/b', page)).toEqual({ kind: 'confirm', url: 'https://hf-mirror.example/a/b', origin: 'https://hf-mirror.example' });
    expect(hubEndpointVerdict('https://hf-mirror.example', 'a/b', page, ['https://hf-mirror.example']).kind).toBe('load');
    expect(hubEndpointVerdict('http://huggingface.co', 'a/b', page).kind).toBe('confirm');
    expect(hubEndpointVerdict('javascript:alert(1)', 'a/b', page)).toMatchObject({ kind: 'refuse', message: /hub endpoint uses "javascript:"/ });
    expect(modelUrlVerdict('https://mirror.example/m/', page, ['https://mirror.example']).kind).toBe('load');
  });
});
