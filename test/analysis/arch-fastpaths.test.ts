import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editsForWindow, generateBatch, KvCache } from '../../src/analysis/generate';
import { positionGradients, supportsOnePosition } from '../../src/analysis/position-grad';
import { SuffixRunner } from '../../src/analysis/suffix';
import { resolveTarget } from '../../src/analysis/targets';
import { cachedTensorCount } from '../../src/engine/forward';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Edit } from '../../src/engine/types';
import { ARCH_FIXTURES, fixtureDir, fixtureReference } from '../engine/arch-fixtures';
import { worstRel } from '../engine/fixture';

const live = () => tf.memory().numTensors - cachedTensorCount();

/** Every fast path against the plain forward pass of the engine, on every architecture fixture. */
describe.each(ARCH_FIXTURES)('fast paths on %s equal the plain forward pass', (fixture) => {
  const ref = fixtureReference(fixture);
  const ids = ref.input_ids;
  const T = ids.length;
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(fixtureDir(fixture));
  });
  afterAll(() => model.dispose());

  /** Edits on neurons, heads (query and key/value heads) and the residual, at positions ≥ start. */
  const editsFrom = (start: number): Edit[][] => {
    const kv = model.config.positions === 'rotary' ? 'attn.hook_rot_k' : 'attn.hook_k';
    return [
      [{ hook: 'blocks.0.mlp.hook_post', index: null, op: 'scale', value: 0.3, positions: [T - 1] }],
      [{ hook: 'blocks.1.mlp.hook_post', index: 17, op: 'zero', positions: [T - 1] }, { hook: 'blocks.0.attn.hook_z', index: 2, op: 'scale', value: -1, positions: [start, T - 1] }],
      [{ hook: `blocks.0.${kv}`, index: 1, op: 'scale', value: 2, positions: [start] }],
      [{ hook: 'blocks.1.hook_resid_pre', index: 5, op: 'clamp', value: 2, positions: [start] }],
      [],
    ];
  };

  it('suffix runs: target values and gradients for edits from several start positions', async () => {
    const before = live();
    const runner = await SuffixRunner.create(model, ids);
    const hooks = ['blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z'];
    for (const start of [T - 1, T - 6, 0]) {
      const edits = editsFrom(start);
      const target = { kind: 'logit' as const, token: ref.target.token };
      const s = await runner.run({ edits, targets: edits.map(() => target), capture: hooks, start });
      const e = await runModel(model, { inputIds: edits.map(() => ids), edits, capture: hooks, target: { ...target, position: T - 1 }, logits: 'none' });
      expect(worstRel(s.targetValues, e.targetValues!), `start ${start}`).toBeLessThan(1e-4);
      for (const h of hooks) {
        const F = e.grads[h].data.length / (edits.length * T);
        const want = new Float32Array(edits.length * (T - start) * F);
        for (let b = 0; b < edits.length; b++) want.set(e.grads[h].data.subarray((b * T + start) * F, (b + 1) * T * F), b * (T - start) * F);
        expect(worstRel(s.grads[h].data, want), `${h} from ${start}`).toBeLessThan(1e-4);
      }
    }
    runner.dispose();
    expect(live()).toBe(before);
  });

  it('one-position gradients equal the engine at the target position', async () => {
    const hooks = [0, 1].flatMap((l) => [`blocks.${l}.mlp.hook_post`, `blocks.${l}.attn.hook_z`]);
    for (const t of [{ kind: 'logit' as const, token: ref.target.token }, { kind: 'logprob' as const, token: 7, position: T - 3 }]) {
      const target = resolveTarget(t, T, model.config);
      const before = live();
      const fast = await positionGradients(model, ids, target, hooks);
      expect(live()).toBe(before);
      const e = await runModel(model, { inputIds: [ids], capture: hooks, target, logits: 'none' });
      expect(fast.targetValue).toBeCloseTo(e.targetValues![0], 4);
      const p = target.position;
      for (const h of hooks) {
        const F = fast.grads[h].length;
        expect(worstRel(fast.grads[h], e.grads[h].data.subarray(p * F, (p + 1) * F)), h).toBeLessThan(2e-4);
      }
    }
    // GPT-2 and GPT-Neo take the hand-written pass; the rotary architectures the engine's gradient run.
    expect(supportsOnePosition(model.config)).toBe(model.config.positions === 'learned');
  });

  it('KV-cache steps give the logits of full runs, with edits on every kind of hook', async () => {
    const cfg = model.config;
    const kv = cfg.positions === 'rotary' ? 'attn.hook_rot_q' : 'attn.hook_q';
    const edits: Edit[] = [
      { hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero', positions: null },
      { hook: `blocks.1.${kv}`, index: 1, op: 'scale', value: 1.5, positions: [2, T + 1] },
      { hook: 'blocks.0.attn.hook_pattern', index: 0, op: 'scale', value: 0.5, positions: [T] },
      { hook: 'blocks.1.attn.hook_v', index: 0, op: 'add', value: 0.3, positions: null },
    ];
    // The default block, and blocks of 3 positions: the 8-token prompt seals two and every third step another.
    for (const block of [undefined, 3]) {
      const seqs = [ids.slice(0, 8), ids.slice(1, 9)];
      const cache = new KvCache(model, block);
      let worst = 0;
      try {
        let chunk = seqs.map((s) => [...s]);
        for (let step = 0; step < 12; step++) {
          const len = seqs[0].length;
          const sets = [edits, []].map((e) => editsForWindow(e, 0, len));
          const got = await cache.extend(chunk, sets);
          const want = await runModel(model, { inputIds: seqs, edits: sets, logits: 'last' });
          worst = Math.max(worst, worstRel(got, want.logits!.data));
          chunk = seqs.map((s, b) => [(s[s.length - 1] * 7 + b + step) % cfg.vocabSize]);
          seqs.forEach((s, b) => s.push(chunk[b][0]));
        }
        // Sealed blocks and the tail: 20 positions in blocks of 3 are 6 blocks and a tail of 2, per layer.
        if (block === 3) expect(cache.tensorCount).toBe(cfg.nLayer * 2 * 7);
      } finally {
        cache.dispose();
      }
      expect(cache.tensorCount).toBe(0);
      expect(worst, `block ${block ?? 'default'}`).toBeLessThan(1e-4);
    }
  });

  it('generation with the cache gives the tokens of full recomputation, greedy and sampled', async () => {
    const edits: Edit[] = [{ hook: 'blocks.0.mlp.hook_post', index: 5, op: 'scale', value: -2, positions: null }];
    const prompts = [ids.slice(0, 6), ids.slice(3, 9)];
    const before = live();
    for (const sampling of [null, { temperature: 1, topK: 0, seed: 4 }]) {
      const a = await generateBatch(model, { prompts, edits: [[], edits], maxTokens: 10, sampling });
      const b = await generateBatch(model, { prompts, edits: [[], edits], maxTokens: 10, sampling, cache: false });
      expect(a.generated).toEqual(b.generated);
    }
    expect(live()).toBe(before);
  });
});
