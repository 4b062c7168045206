import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run-cli';

/**
 * Every `pathlight` command on the bundled copies of the GPT-Neo, GPT-NeoX and Llama fixtures (public/models,
 * with a byte-level tokenizer): the output has the shapes the architecture implies and no command fails.
 */
const CASES = [
  { model: 'gptneo-tiny', H: 4, K: 4, dh: 12, M: 192, rotary: false, mid: true },
  { model: 'pythia-tiny', H: 3, K: 3, dh: 16, M: 192, rotary: true, mid: false },
  { model: 'llama-tiny', H: 4, K: 2, dh: 12, M: 128, rotary: true, mid: true },
] as const;
const TEXT = 'The cat sat on the';
const dir = mkdtempSync(join(tmpdir(), 'pathlight-arch-cli-'));
const prompts = join(dir, 'prompts.txt');
writeFileSync(prompts, ['The cat sat on the', 'A dog ran to the', 'She said that the', 'Once upon a time'].join('\n') + '\n');

function ok(args: string[]) {
  const r = cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code).toBe(0);
  return r.json;
}

describe.each(CASES)('pathlight on $model', (c) => {
  it('run: every kind of hook with its shape, gradients, edits on key/value heads', () => {
    const hooks = ['blocks.1.attn.hook_q', 'blocks.1.attn.hook_k', 'blocks.1.mlp.hook_post', 'blocks.0.attn.hook_pattern', ...(c.rotary ? ['blocks.0.attn.hook_rot_k'] : ['hook_pos_embed']), ...(c.mid ? ['blocks.0.hook_resid_mid'] : [])];
    const j = ok(['run', '--model', c.model, '--text', TEXT, ...hooks.flatMap((h) => ['--capture', h]), '--grad', '3:17', '--edit', `blocks.0.attn.hook_v:${c.K - 1}:zero`]);
    const T = j.input_ids.length;
    expect(j.activations['blocks.1.attn.hook_q'].shape).toEqual([T, c.H, c.dh]);
    expect(j.activations['blocks.1.attn.hook_k'].shape).toEqual([T, c.K, c.dh]);
    expect(j.activations['blocks.1.mlp.hook_post'].shape).toEqual([T, c.M]);
    expect(j.activations['blocks.0.attn.hook_pattern'].shape).toEqual([c.H, T, T]);
    expect(j.grads['blocks.1.mlp.hook_post'].shape).toEqual([T, c.M]);
    // Gradients of the logit at position 3 vanish after position 3 (causal attention).
    expect(j.grads['blocks.1.mlp.hook_post'].data.slice(4 * c.M).every((x: number) => x === 0)).toBe(true);
    const missing = cli(['run', '--model', c.model, '--text', TEXT, '--capture', c.mid ? 'blocks.0.mlp.hook_pre_linear' : 'blocks.0.hook_resid_mid']);
    if (c.model !== 'llama-tiny') expect(missing.stderr).toMatch(/does not exist in this/);
  });

  it('attribute (gxa, ig, ablate) and path: scores over neurons and heads', () => {
    for (const method of ['gxa', 'ig', 'ablate']) {
      const j = ok(['attribute', '--model', c.model, '--text', TEXT, '--target', '#17', '--method', method, '--steps', '8']);
      expect(j.scores['blocks.1.attn.hook_z'].shape[1]).toBe(c.H);
      expect(j.scores['blocks.0.mlp.hook_post'].shape[1]).toBe(c.M);
      expect(j.scores['blocks.0.mlp.hook_post'].data.some((x: number) => x !== 0)).toBe(true);
    }
    const p = ok(['path', '--model', c.model, '--text', TEXT, '--target', '#17', '--steps', '8', '--beam', '2']);
    expect(p.path.length).toBe(2);
  });

  it('generate with an edit and a neuron steering vector; heads; faithfulness; lape; loops', () => {
    const g = ok(['generate', '--model', c.model, '--text', TEXT, '--max-tokens', '12', '--edit', 'blocks.0.mlp.hook_post:5:scale=-3', '--steer', '1.post:L0.N3:4']);
    expect(g.clean.ids.length).toBe(12);
    const h = ok(['heads', '--model', c.model, '--repeated', '4']);
    expect(h.heads.length).toBe(2 * c.H);
    const f = ok(['faithfulness', '--model', c.model, '--prompts', prompts, '--steps', '4']);
    expect(f.prompts).toBe(4);
    ok(['lape', '--model', c.model, '--windows', '4', '--prompts', '2', '--max-tokens', '8']);
    ok(['loops', '--model', c.model, '--candidates-per-lang', '2', '--max-tokens', '16', '--heldout', '2', '--max-prompts', '4', '--threshold', '0']);
  });
});
