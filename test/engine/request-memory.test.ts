import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { KvCache } from '../../src/analysis/generate';
import { SuffixRunner } from '../../src/analysis/suffix';
import { initBackend } from '../../src/engine/backend';
import { PathlightError } from '../../src/engine/errors';
import { cachedTensorCount } from '../../src/engine/forward';
import { hookInfo, hookName } from '../../src/engine/hooks';
import { checkRunMemory, CPU_REQUEST_CAP, requestBudget, setRequestContext } from '../../src/engine/memory-check';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { estimateRun, type RunShape } from '../../src/engine/request-memory';
import { runModel } from '../../src/engine/run';
import type { RunRequest } from '../../src/engine/types';
import { ARCH_FIXTURES, fixtureDir } from './arch-fixtures';

const ids = (B: number, T: number, V: number) => Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, i) => (i * 7 + b * 3) % V));

/** What tfjs counts (tf.memory().numBytes) at its highest while `f` runs, above what was held before. */
async function peakOf(f: () => Promise<unknown>): Promise<number> {
  const before = tf.memory().numBytes;
  const p = await tf.profile(async () => {
    await f();
  });
  return p.peakBytes - before;
}

describe.each(['cpu', 'wasm'] as const)('the memory estimate of a run on %s is within a factor of 2 of the measured peak', (backend) => {
  const models: Record<string, Model> = {};
  beforeAll(async () => {
    await initBackend(backend);
    for (const f of ARCH_FIXTURES) models[f] = await loadModelDir(fixtureDir(f));
  });
  afterAll(() => Object.values(models).forEach((m) => m.dispose()));

  const cases: Array<[string, (V: number, L: number) => RunRequest]> = [
    ['forward, all logits', (V) => ({ inputIds: ids(1, 64, V), logits: 'all' })],
    ['forward of a batch, last logits', (V) => ({ inputIds: ids(4, 48, V), logits: 'last' })],
    ['forward with captures', (V, L) => ({ inputIds: ids(2, 32, V), capture: [hookName(0, 'attn.hook_pattern'), hookName(L - 1, 'mlp.hook_post')], logits: 'none' })],
    ['gradient to every MLP', (V, L) => ({ inputIds: ids(2, 64, V), capture: Array.from({ length: L }, (_, l) => hookName(l, 'mlp.hook_post')), target: { kind: 'logit', token: 5 }, logits: 'none' })],
    ['gradient of a log-prob to the residual stream, all logits', (V) => ({ inputIds: ids(1, 40, V), capture: [hookName(0, 'hook_resid_pre')], target: { kind: 'logprob', token: 2 }, logits: 'all' })],
  ];
  it.each(ARCH_FIXTURES)('%s', async (f) => {
    const m = models[f];
    const cfg = m.config;
    for (const [name, make] of cases) {
      const req = make(cfg.vocabSize, cfg.nLayer);
      const B = req.inputIds!.length;
      const T = req.inputIds![0].length;
      const capture = req.capture ?? [];
      const captureFloats = capture.reduce((s, h) => s + B * hookInfo(h, cfg).shape(T).reduce((a, b) => a * b, 1), 0);
      const logits = req.logits === 'all' ? 'all' : req.target || req.logits === 'last' ? 'last' : 'none';
      const shape: RunShape = { batch: B, rows: T, keys: T, layers: cfg.nLayer, gradient: !!req.target && capture.length > 0, logits, captureFloats };
      const est = estimateRun(cfg, shape, backend).bytes;
      const peak = await peakOf(() => runModel(m, req));
      expect(peak, `${f}: ${name}`).toBeGreaterThan(0);
      const ratio = est / peak;
      expect(ratio, `${f}: ${name}: estimate ${est} vs peak ${peak}`).toBeGreaterThan(0.5);
      expect(ratio, `${f}: ${name}: estimate ${est} vs peak ${peak}`).toBeLessThan(2);
    }
  });

  it('suffix runs (gradients of IG steps) and generation steps with a key/value cache too', async () => {
    const m = models['llama-tiny'];
    const cfg = m.config;
    const prompt = ids(1, 48, cfg.vocabSize)[0];
    const runner = await SuffixRunner.create(m, prompt);
    try {
      const B = 16;
      const hooks = [hookName(0, 'mlp.hook_post'), hookName(1, 'mlp.hook_post')];
      const edits = Array.from({ length: B }, (_, b) => [{ hook: hooks[0], index: null, op: 'scale' as const, value: (b + 0.5) / B, positions: [47] }]);
      const req = { edits, targets: edits.map(() => ({ kind: 'logit' as const, token: 3 })), capture: hooks, start: 40 };
      const shape: RunShape = { batch: B, rows: 8, keys: 48, layers: cfg.nLayer, gradient: true, logits: 'last', captureFloats: 2 * B * 8 * cfg.dMlp };
      const ratio = estimateRun(cfg, shape, backend).bytes / (await peakOf(() => runner.run(req)));
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    } finally {
      runner.dispose();
    }
    const cache = new KvCache(m);
    try {
      const B = 4;
      const first = ids(B, 40, cfg.vocabSize);
      const cacheFloats = (T: number) => 2 * B * T * cfg.nKvHead * cfg.dHead * cfg.nLayer;
      const est0 = estimateRun(cfg, { batch: B, rows: 40, keys: 40, layers: cfg.nLayer, gradient: false, logits: 'last', captureFloats: cacheFloats(40) }, backend).bytes;
      const r0 = est0 / (await peakOf(() => cache.extend(first, first.map(() => []))));
      expect(r0).toBeGreaterThan(0.5);
      expect(r0).toBeLessThan(2);
    } finally {
      cache.dispose();
    }
  });
});

describe('requests over the backend limit are refused before anything is allocated', () => {
  let model: Model;
  beforeAll(async () => {
    await initBackend('cpu');
    model = await loadModelDir(fixtureDir('gpt2-tiny'));
  });
  afterEach(() => setRequestContext({}));
  afterAll(() => model.dispose());

  it('on the CPU cap: a batch of 5000 full prompts is refused with the call, the bytes and the limit; one prompt runs', async () => {
    const cfg = model.config;
    const before = tf.memory().numTensors;
    const err = await runModel(model, { inputIds: ids(5000, 64, cfg.vocabSize) }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(PathlightError);
    expect(err.message).toMatch(/^a forward pass of 5000 sequences × 64 tokens was refused before it ran: it needs about [\d.]+ GB \(activations [\d.]+ GB, attention [\d.]+ GB, logits [\d.]+ GB\), over the 17\.18 GB free on cpu \(the CPU backend's cap: 17\.18 GB, [\d.]+ [kM]B in use\)/);
    expect(tf.memory().numTensors).toBe(before);
    // The estimate behind the message is over the cap; the same prompt alone runs.
    const shape: RunShape = { batch: 5000, rows: 64, keys: 64, layers: cfg.nLayer, gradient: false, logits: 'all', captureFloats: 0 };
    expect(estimateRun(cfg, shape, 'cpu').bytes).toBeGreaterThan(CPU_REQUEST_CAP);
    const kept = cachedTensorCount();
    const ok = await runModel(model, { inputIds: ids(1, 64, cfg.vocabSize) });
    expect(ok.logits!.shape).toEqual([1, 64, cfg.vocabSize]);
    // What the engine keeps between calls by design (the unembedding's transpose) is not left behind by the run.
    expect(tf.memory().numTensors - (cachedTensorCount() - kept)).toBe(before);
  });

  it('an attribution whose IG batch exceeds the machine memory the CLI reports is refused at its first suffix run; a smaller one runs', async () => {
    // 50 MB: the clean runs of a 64-token prompt fit, 32 IG steps scaling every position (a suffix run of 32 × 64 rows with gradients) do not.
    setRequestContext({ systemBytes: 50e6 });
    expect(requestBudget()).toMatchObject({ backend: 'cpu', totalBytes: 50e6, source: 'system memory' });
    const before = tf.memory().numTensors;
    const req = { ids: ids(1, 64, model.config.vocabSize)[0], target: { kind: 'logit' as const, token: 3 }, method: 'ig' as const, steps: 32, positions: 'all' as const };
    await expect(attribute(model, req)).rejects.toThrow(PathlightError);
    await expect(attribute(model, req)).rejects.toThrow(/^a suffix run of \d+ sequences × 64 tokens was refused before it ran: it needs about [\d.]+ MB .* over the [\d.]+ MB free on cpu \(system memory: 50\.0 MB/);
    expect(tf.memory().numTensors).toBe(before);
    // Under the same budget, IG at the target position alone (suffix runs of one row) runs.
    const r = await attribute(model, { ...req, positions: 'target' });
    expect(Object.keys(r.scores).length).toBe(2 * model.config.nLayer);
  });

  it('the WASM heap less what is allocated, and the WebGPU buffer limit, as budgets', () => {
    const cfg = model.config;
    const shape: RunShape = { batch: 8, rows: 64, keys: 64, layers: cfg.nLayer, gradient: true, logits: 'all', captureFloats: 0 };
    const est = estimateRun(cfg, shape, 'wasm');
    const heap = 4 * 1024 ** 3;
    const wasm = (allocatedBytes: number) => ({ backend: 'wasm' as const, totalBytes: heap, allocatedBytes, maxTensorBytes: null, source: 'WASM heap (4 GiB address space)' });
    expect(() => checkRunMemory(cfg, shape, undefined, wasm(0))).not.toThrow();
    expect(() => checkRunMemory(cfg, shape, undefined, wasm(heap - est.bytes + 1))).toThrow(/^a forward and backward pass of 8 sequences × 64 tokens was refused before it ran: .* free on wasm \(WASM heap \(4 GiB address space\): 4\.29 GB, 4\.\d\d GB in use\)/);
    expect(() => checkRunMemory(cfg, shape, undefined, wasm(heap - est.bytes - 1))).not.toThrow();
    // One tensor over a WebGPU buffer: the logits of 8 × 64 rows (8·64·512·4 bytes = 1.05 MB).
    const gpu = { backend: 'webgpu' as const, totalBytes: heap, allocatedBytes: 0, maxTensorBytes: 6e5, source: 'WebGPU adapter limits' };
    expect(est.largestTensor).toBe('the logits');
    expect(est.largestTensorBytes).toBe(8 * 64 * 512 * 4);
    expect(() => checkRunMemory(cfg, shape, 'this run', gpu)).toThrow('this run was refused before it ran: the logits would take 1.0 MB in one tensor, over the 600 kB one buffer may hold on webgpu (WebGPU adapter limits); use a shorter prompt or a smaller batch');
    expect(() => checkRunMemory(cfg, { ...shape, logits: 'last' }, 'this run', gpu)).not.toThrow();
  });
});
