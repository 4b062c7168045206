/** Generation clean vs edited, seeded sampling, the sliding window, and the next-token comparison. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareNextToken, klDivergence, softmax } from '../../src/analysis/distribution';
import { editsForWindow, firstDivergence, generate, generateBatch, KvCache, pickToken } from '../../src/analysis/generate';
import { steerGenerate } from '../../src/analysis/steering';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit } from '../../src/engine/types';
import { Rng } from '../../src/analysis/rng';
import { FIXTURE_DIR, liveTensors, tinyCharModel, useBackend } from './helpers';

const PROMPT = [5, 77, 300, 12, 9, 411];
let model: Model;
let tiny: Model;

beforeAll(async () => {
  await useBackend('cpu');
  model = await loadModelDir(FIXTURE_DIR);
  tiny = tinyCharModel({ nCtx: 8 });
});
afterAll(() => {
  model.dispose();
  tiny.dispose();
});

async function argmaxNext(m: Model, ids: number[], edits: Edit[] = []): Promise<number> {
  const r = await runModel(m, { inputIds: [ids], edits, logits: 'last' });
  return pickToken(r.logits!.data, null, null);
}

describe('generation', () => {
  it('greedy generation is the argmax of the next-token logits at every step, edits applied each step', async () => {
    const edit: Edit = { hook: 'blocks.1.mlp.hook_post', index: null, op: 'scale', value: 0.5, positions: null };
    const before = liveTensors();
    const g = await generate(model, { inputIds: PROMPT, edits: [edit], maxTokens: 6 });
    expect(liveTensors()).toBe(before);
    const c = [...PROMPT];
    const e = [...PROMPT];
    for (let i = 0; i < 6; i++) {
      c.push(await argmaxNext(model, c));
      e.push(await argmaxNext(model, e, [edit]));
    }
    expect(g.clean).toEqual(c.slice(PROMPT.length));
    expect(g.edited).toEqual(e.slice(PROMPT.length));
    expect(g.firstDivergence).toBe(firstDivergence(g.clean, g.edited));
    expect(g.decoding).toEqual({ kind: 'greedy' });
    expect(g.windowed).toBe(false);
  });

  it('marks the first token where clean and edited diverge', () => {
    expect(firstDivergence([1, 2, 3], [1, 2, 3])).toBeNull();
    expect(firstDivergence([1, 2, 3], [1, 5, 3])).toBe(1);
    expect(firstDivergence([4], [5])).toBe(0);
  });

  it('sampled generation is identical for the same seed, and changes with the seed', async () => {
    const sampling = { temperature: 1.5, topK: 50, seed: 42 };
    const a = await generate(model, { inputIds: PROMPT, edits: [], maxTokens: 12, sampling });
    const b = await generate(model, { inputIds: PROMPT, edits: [], maxTokens: 12, sampling });
    expect(b.clean).toEqual(a.clean);
    // No edits: clean and edited draw the same numbers, so they agree.
    expect(a.edited).toEqual(a.clean);
    expect(a.firstDivergence).toBeNull();
    expect(a.decoding).toEqual({ kind: 'sample', temperature: 1.5, topK: 50, seed: 42 });
    const others = await Promise.all([1, 2, 3].map((seed) => generate(model, { inputIds: PROMPT, edits: [], maxTokens: 12, sampling: { ...sampling, seed } })));
    expect(others.some((o) => o.clean.join() !== a.clean.join())).toBe(true);
  });

  it('top-k = 1 sampling is greedy; top-k keeps only the k most likely tokens', () => {
    const logits = [0.1, 3, -1, 2.9, 0];
    const rng = new Rng(7);
    for (let i = 0; i < 20; i++) expect(pickToken(logits, { temperature: 2, topK: 1, seed: 0 }, rng)).toBe(1);
    const seen = new Set(Array.from({ length: 200 }, () => pickToken(logits, { temperature: 5, topK: 2, seed: 0 }, rng)));
    expect([...seen].sort()).toEqual([1, 3]);
    expect(pickToken(logits, { temperature: 0, seed: 0 }, null)).toBe(1);
  });

  it('steering with α = 0 generates exactly the clean continuation', async () => {
    const v = Array.from({ length: model.config.dModel }, (_, i) => Math.cos(i));
    for (const sampling of [null, { temperature: 1, topK: 0, seed: 3 }]) {
      const g = await steerGenerate(model, { inputIds: PROMPT, steering: [{ layer: 1, vector: v, alpha: 0 }], maxTokens: 8, sampling });
      expect(g.edited).toEqual(g.clean);
      expect(g.firstDivergence).toBeNull();
      expect(g.nextToken.kl).toBe(0);
    }
    const strong = await steerGenerate(model, { inputIds: PROMPT, steering: [{ layer: 1, vector: v, alpha: 200 }], maxTokens: 8 });
    expect(strong.nextToken.kl).toBeGreaterThan(0);
  });

  it('keeps the last n_ctx tokens when the sequence outgrows the context, and says so', async () => {
    const prompt = [1, 2, 3, 4, 5, 6];
    const g = await generate(tiny, { inputIds: prompt, edits: [], maxTokens: 7 });
    expect(g.windowed).toBe(true);
    const seq = [...prompt];
    for (let i = 0; i < 7; i++) seq.push(await argmaxNext(tiny, seq.slice(-8)));
    expect(g.clean).toEqual(seq.slice(prompt.length));
    const short = await generate(tiny, { inputIds: prompt, edits: [], maxTokens: 2 });
    expect(short.windowed).toBe(false);
  });

  it('edit positions count from the prompt start and shift with the window', async () => {
    const e: Edit = { hook: 'blocks.0.hook_resid_pre', index: 3, op: 'clamp', value: 1, positions: [0, 2, 9] };
    expect(editsForWindow([e], 0, 5)).toEqual([{ ...e, positions: [0, 2] }]);
    expect(editsForWindow([e], 2, 8)).toEqual([{ ...e, positions: [0, 7] }]);
    expect(editsForWindow([e], 3, 5)).toEqual([]);
    const all: Edit = { ...e, positions: null };
    expect(editsForWindow([all], 7, 8)).toEqual([all]);
    // In generation: a position past the prompt applies once reached, and the result matches a manual loop.
    const prompt = [3, 1, 4, 1, 5];
    const edit: Edit = { hook: 'blocks.0.mlp.hook_post', index: null, op: 'zero', positions: [1, 6] };
    const g = await generate(tiny, { inputIds: prompt, edits: [edit], maxTokens: 6 });
    const seq = [...prompt];
    for (let i = 0; i < 6; i++) {
      const off = Math.max(0, seq.length - 8);
      seq.push(await argmaxNext(tiny, seq.slice(off), editsForWindow([edit], off, seq.length - off)));
    }
    expect(g.edited).toEqual(seq.slice(prompt.length));
  });

  it('generates a batch with one edit set per prompt, the same as one by one', async () => {
    const edit: Edit = { hook: 'blocks.0.attn.hook_z', index: 1, op: 'zero', positions: null };
    const prompts = [PROMPT, PROMPT.map((x) => (x * 3) % 512), PROMPT];
    const b = await generateBatch(model, { prompts, edits: [[], [edit], [edit]], maxTokens: 5, batchSize: 2 });
    const one = await generate(model, { inputIds: PROMPT, edits: [edit], maxTokens: 5 });
    expect(b.generated[0]).toEqual(one.clean);
    expect(b.generated[2]).toEqual(one.edited);
    const two = await generate(model, { inputIds: prompts[1], edits: [edit], maxTokens: 5 });
    expect(b.generated[1]).toEqual(two.edited);
  });

  it('refuses bad settings', async () => {
    await expect(generate(model, { inputIds: PROMPT, edits: [], maxTokens: 2, sampling: { temperature: -1, seed: 1 } })).rejects.toThrow(/temperature/);
    await expect(generate(model, { inputIds: [], edits: [], maxTokens: 2 })).rejects.toThrow(/empty/);
    await expect(generateBatch(model, { prompts: [[1, 2], [3]], maxTokens: 1 })).rejects.toThrow(/same length/);
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    const p = generate(model, { inputIds: PROMPT, edits: [], maxTokens: 50 }, { signal: ac.signal, onProgress: (d) => d === 2 && ac.abort() });
    await expect(p).rejects.toThrow(/cancelled/);
  });
});

describe('next-token distribution, clean vs edited', () => {
  it('gives both distributions, the change per token and the KL divergence', async () => {
    const edit: Edit = { hook: 'blocks.1.mlp.hook_post', index: 40, op: 'clamp', value: 8, positions: null };
    const before = liveTensors();
    const r = await compareNextToken(model, { inputIds: PROMPT, edits: [edit], top: 5 });
    expect(liveTensors()).toBe(before);
    const c = await runModel(model, { inputIds: [PROMPT], logits: 'last' });
    const e = await runModel(model, { inputIds: [PROMPT], edits: [edit], logits: 'last' });
    const p = softmax(c.logits!.data);
    const q = softmax(e.logits!.data);
    let kl = 0;
    for (let i = 0; i < p.length; i++) kl += p[i] * Math.log(p[i] / q[i]);
    expect(r.kl).toBeCloseTo(kl, 6);
    expect(r.kl).toBeGreaterThan(0);
    expect(r.position).toBe(PROMPT.length - 1);
    expect(r.changes).toHaveLength(5);
    const deltas = r.changes.map((x) => Math.abs(x.delta));
    expect(deltas).toEqual([...deltas].sort((a, b) => b - a));
    for (const ch of r.changes) {
      expect(ch.clean).toBeCloseTo(p[ch.token], 6);
      expect(ch.delta).toBeCloseTo(q[ch.token] - p[ch.token], 6);
    }
    expect(Math.max(...Array.from(r.edited).map((x, i) => Math.abs(x - q[i])))).toBeLessThan(1e-6);
    const none = await compareNextToken(model, { inputIds: PROMPT, edits: [], position: 2 });
    expect(none.kl).toBe(0);
    expect(none.position).toBe(2);
  });

  it('KL divergence of identical distributions is 0 and is asymmetric otherwise', () => {
    expect(klDivergence([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(klDivergence([0.9, 0.1], [0.5, 0.5])).not.toBeCloseTo(klDivergence([0.5, 0.5], [0.9, 0.1]), 6);
  });
});

describe('key/value cache', () => {
  const EDITS: Array<[string, Edit[]]> = [
    ['no edit', []],
    ['a neuron zeroed at a prompt and a generated position', [{ hook: 'blocks.0.mlp.hook_post', index: 17, op: 'zero', positions: [2, 8] }]],
    ['a head ablated everywhere', [{ hook: 'blocks.1.attn.hook_z', index: 1, op: 'zero', positions: null }]],
    ['keys scaled, values clamped', [{ hook: 'blocks.0.attn.hook_k', index: 2, op: 'scale', value: -1, positions: null }, { hook: 'blocks.1.attn.hook_v', index: 0, op: 'clamp', value: 0.3, positions: [1, 7] }]],
    ['an attention pattern edited', [{ hook: 'blocks.1.attn.hook_pattern', index: 3, op: 'scale', value: 0.2, positions: null }, { hook: 'blocks.0.attn.hook_attn_scores', index: 0, op: 'add', value: 1, positions: [5, 9] }]],
    ['steering and embeddings', [
      { hook: 'blocks.1.hook_resid_pre', index: null, op: 'add', value: 3, vector: Array.from({ length: 64 }, (_, i) => Math.sin(i)), positions: null },
      { hook: 'hook_pos_embed', index: 4, op: 'zero', positions: null },
      { hook: 'ln_final.hook_normalized', index: 7, op: 'clamp', value: 2, positions: [9] },
    ]],
  ];
  it.each(EDITS)('gives the tokens of full recomputation: %s', async (_label, edits) => {
    const before = liveTensors();
    const prompts = [PROMPT, PROMPT.map((x) => (x * 5 + 1) % 512)];
    const a = await generateBatch(model, { prompts, edits, maxTokens: 8 });
    const b = await generateBatch(model, { prompts, edits, maxTokens: 8, cache: false });
    expect(liveTensors()).toBe(before);
    expect(a.generated).toEqual(b.generated);
  });

  it('gives the logits of a full run at every step, with edits on every kind of hook', async () => {
    const edits = EDITS.flatMap(([, e]) => e);
    const seqs = [PROMPT, PROMPT.map((x) => (x * 5 + 1) % 512)];
    const cache = new KvCache(model);
    let worst = 0;
    try {
      let chunk = seqs.map((s) => [...s]);
      for (let step = 0; step < 6; step++) {
        const T = seqs[0].length;
        const got = await cache.extend(chunk, [edits, []].map((e) => editsForWindow(e, 0, T)));
        const want = await runModel(model, { inputIds: seqs, edits: [edits, []].map((e) => editsForWindow(e, 0, T)), logits: 'last' });
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.logits!.data[i]));
        chunk = seqs.map((s, b) => [(s[s.length - 1] * 7 + b + step) % 512]);
        seqs.forEach((s, b) => s.push(chunk[b][0]));
      }
    } finally {
      cache.dispose();
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the tokens of full recomputation with mean edits and sampling, and through the sliding window', async () => {
    const means = { 'blocks.0.mlp.hook_post': new Float32Array(32).fill(0.5) };
    const edits: Edit[] = [{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'mean', positions: null }];
    const sampling = { temperature: 1, topK: 0, seed: 11 };
    const prompts = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
    const a = await generateBatch(tiny, { prompts, edits, means, maxTokens: 9, sampling });
    const b = await generateBatch(tiny, { prompts, edits, means, maxTokens: 9, sampling, cache: false });
    expect(a.windowed).toBe(true);
    expect(a.generated).toEqual(b.generated);
  });
});
