/** The training command end to end on the --tiny induction recipe: files in the Hugging Face layout, then a resume. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { parseConfig } from '../../src/engine/config';
import { loadModelDir } from '../../src/engine/node-load';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-train-'));
const train = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/train/train.ts', 'induction', '--tiny', '--out', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run train -- induction --tiny', () => {
  it('writes a loadable Hugging Face model folder, resume state, history and loss chart; a rerun resumes', async () => {
    const metrics = JSON.parse(train('--steps', '6').trim().split('\n').pop()!);
    expect(metrics.steps).toBe(6);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'trainer.json', 'trainer.safetensors', 'metrics.json', 'history.json', 'loss.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({ model_type: 'gpt2', n_layer: 2, n_head: 2, n_embd: 32, n_inner: 128, n_positions: 64, n_ctx: 64, vocab_size: 64, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 });
    expect(parseConfig(hf).dMlp).toBe(128);
    const model = await loadModelDir(dir);
    expect(model.weights.unembed).toBeUndefined(); // tied unembedding
    expect(model.tokenizer!.decode(model.tokenizer!.encode('abcXYZ09+/'))).toBe('abcXYZ09+/');
    model.dispose();
    expect(JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'))).toHaveLength(6);

    const again = JSON.parse(train('--steps', '9', '--resume').trim().split('\n').pop()!);
    expect(again.steps).toBe(9);
    const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'));
    expect(history.map((h: { step: number }) => h.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tf.getBackend()).toBe('wasm');
  }, 60_000);
});
