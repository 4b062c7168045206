import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_CASES, fixtureBytes, fixtureConfig } from '../engine/bad-inputs';
import { FIXTURE_DIR, loadReference, worstRatio } from '../engine/fixture';
import { cli } from './run-cli';

const ref = loadReference();

describe('pathlight run', () => {
  // webgpu: Dawn (npm `webgpu`) on SwiftShader, with chromium's libvulkan (bin/pathlight.mjs).
  it.each(['cpu', 'wasm', 'webgpu'])('matches the reference on %s, with captures, gradients and an edit', (backend) => {
    const r = cli([
      'run', '--model', FIXTURE_DIR, '--ids', ref.input_ids.join(','), '--backend', backend,
      '--capture', 'blocks.0.mlp.hook_post', '--capture', 'blocks.1.attn.hook_pattern', '--capture', 'blocks.1.mlp.hook_post',
      '--grad', `${ref.target.position}:${ref.target.token}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.backend).toBe(backend);
    expect(r.json.input_ids).toEqual(ref.input_ids);
    expect(r.json.logits.shape).toEqual([12, 512]);
    expect(worstRatio(r.json.logits.data, ref.logits.data)).toBeLessThanOrEqual(1);
    expect(r.json.activations['blocks.1.attn.hook_pattern'].shape).toEqual([4, 12, 12]);
    expect(worstRatio(r.json.activations['blocks.1.attn.hook_pattern'].data, ref.activations['blocks.1.attn.hook_pattern'].data)).toBeLessThanOrEqual(1);
    for (const h of ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post']) {
      expect(worstRatio(r.json.grads[h].data, ref.grad_target_logit_wrt_mlp_post[h].data), h).toBeLessThanOrEqual(1);
    }
  });

  it('applies --edit as the reference interventions do', () => {
    const c = ref.interventions[1]; // clamp at one position
    const e = c.edits[0];
    const r = cli(['run', '--model', FIXTURE_DIR, '--ids', ref.input_ids.join(','), '--backend', 'cpu', '--edit', `${e.hook}:${e.neuron}:clamp=${e.value}@${e.position}`]);
    expect(r.code).toBe(0);
    const last = r.json.logits.data.slice(11 * 512);
    expect(worstRatio(last, c.last_position_logits)).toBeLessThanOrEqual(1);
  });

  const dir = mkdtempSync(join(tmpdir(), 'pathlight-bad-'));
  it.each(BAD_CASES)('refuses $name with one line on stderr', (c) => {
    const model = join(dir, c.name.replace(/\W+/g, '-'));
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'config.json'), c.config ?? fixtureConfig);
    writeFileSync(join(model, 'model.safetensors'), c.safetensors ?? fixtureBytes);
    const r = cli(['run', '--model', model, '--backend', 'cpu', '--ids', (c.ids ?? [1, 2, 3]).join(',')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(c.message);
  });

  it('reports usage errors without a stack trace', () => {
    for (const args of [['run', '--model', FIXTURE_DIR], ['run', '--model', FIXTURE_DIR, '--ids', '1', '--edit', 'nonsense'], ['frobnicate'], ['run', '--model', '/nonexistent', '--ids', '1']]) {
      const r = cli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
