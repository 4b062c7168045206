/** The one mean-activation policy (src/analysis/means.ts): the windows, the means, and the worker's path equal to the CLI's. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyJson, REFERENCE_MAX_WINDOWS, referenceMeans, referenceWindows } from '../../src/analysis/means';
import { parseArgs } from '../../src/cli/args';
import { readReference } from '../../src/cli/common';
import { initBackend } from '../../src/engine/backend';
import type { Model } from '../../src/engine/model';
import { loadModelDir, resolveModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { corpusInfoOf, corpusReference, meansOver, userReference } from '../../src/worker/reference';
import { cli } from '../cli/run-cli';
import { fixtureDir } from '../engine/arch-fixtures';

const HOOKS = ['blocks.0.mlp.hook_post', 'blocks.1.attn.hook_z', 'blocks.2.hook_resid_post'];

describe('one mean-activation policy for the worker and the CLI', () => {
  let polyglot: Model;
  let plain: Model;
  const dir = mkdtempSync(join(tmpdir(), 'pathlight-means-'));
  beforeAll(async () => {
    await initBackend('wasm');
    polyglot = await loadModelDir('polyglot');
    plain = await loadModelDir(fixtureDir('gpt2-tiny'));
  });
  afterAll(() => {
    polyglot.dispose();
    plain.dispose();
  });

  it('cuts each non-empty line into windows of min(64, n_ctx) tokens, keeps a line’s last piece, reads CRLF as LF, stops at 64 windows', () => {
    const tok = polyglot.tokenizer!;
    const long = 'Der Hund läuft über die Straße und bellt den Briefträger an, der schnell weiterfährt.'; // 86 characters
    const text = `${long}\r\n\n   \nEin Satz.\r\n`;
    const r = referenceWindows(polyglot, text, 'sample');
    const a = tok.encode(long);
    const b = tok.encode('Ein Satz.');
    expect(a.length).toBeGreaterThan(64);
    expect(r.windows).toEqual([a.slice(0, 64), a.slice(64), b]);
    expect(r.policy).toMatchObject({ source: 'sample', windows: 3, tokens: a.length + b.length, windowTokens: 64 });
    // Without a tokenizer, lines are ids; the cap keeps the first 64 windows.
    const ids = Array.from({ length: 100 }, (_, i) => `${i % 500},${(i * 7) % 500}`).join('\n');
    const p = referenceWindows(plain, ids, 'ids');
    expect(p.windows).toHaveLength(REFERENCE_MAX_WINDOWS);
    expect(p.windows[3]).toEqual([3, 21]);
    expect(() => referenceWindows(plain, '3,9999', 'ids.txt')).toThrow('ids.txt: token id 9999 is outside the vocabulary (0..511)');
    expect(() => referenceWindows(polyglot, '\n \n', 'empty.txt')).toThrow('empty.txt: the reference text is empty');
  });

  it('the means are the token-weighted average of every window’s activations, computed independently', async () => {
    const text = readFileSync(join(resolveModelDir('polyglot'), 'corpus.txt'), 'utf8').split('\n').slice(0, 2).join('\n');
    const r = referenceWindows(polyglot, text, 'two lines');
    const means = await referenceMeans(polyglot, [HOOKS[0]], r);
    const N = polyglot.config.dMlp;
    const sums = new Float64Array(N);
    for (const w of r.windows) {
      const out = await runModel(polyglot, { inputIds: [w], capture: [HOOKS[0]], logits: 'none' });
      const d = out.activations[HOOKS[0]].data;
      for (let t = 0; t < w.length; t++) for (let n = 0; n < N; n++) sums[n] += d[t * N + n];
    }
    for (const n of [0, 17, N - 1]) expect(means[HOOKS[0]][n]).toBeCloseTo(sums[n] / r.policy.tokens, 5);
  });

  it('the worker’s path (corpus.txt at load, a text the user gives) and the CLI’s (--reference, else corpus.txt) give identical windows and means', async () => {
    const corpusFile = join(resolveModelDir('polyglot'), 'corpus.txt');
    const corpusText = readFileSync(corpusFile, 'utf8');
    // The model's corpus.txt: the worker at load vs a CLI command without --reference.
    const worker = corpusReference(polyglot, corpusText)!;
    const fromCli = readReference(parseArgs(['run', '--model', 'polyglot']), polyglot, 'mean edits');
    expect(fromCli.policy.source).toBe(corpusFile);
    expect(worker.windows).toEqual(fromCli.windows);
    expect(Array.from((await meansOver(polyglot, HOOKS, worker))[HOOKS[1]])).toEqual(Array.from((await referenceMeans(polyglot, HOOKS, fromCli))[HOOKS[1]]));
    // A text the user gives: the worker's setReference vs --reference FILE.
    const text = 'Le chat dort sur le canapé depuis ce matin, et il ne veut pas se réveiller avant midi.\nThe dog waits.\n';
    const file = join(dir, 'ref.txt');
    writeFileSync(file, text);
    const mine = userReference(polyglot, text, 'ref.txt');
    const theirs = readReference(parseArgs(['run', '--model', 'polyglot', '--reference', file]), polyglot, 'mean edits');
    expect(mine.windows).toEqual(theirs.windows);
    const a = await meansOver(polyglot, HOOKS, mine);
    const b = await referenceMeans(polyglot, HOOKS, theirs);
    for (const h of HOOKS) expect(Array.from(a[h])).toEqual(Array.from(b[h]));
    // What the page is told names the text and the policy.
    expect(corpusInfoOf(mine)).toEqual({ name: 'ref.txt', windows: mine.windows.length, tokens: mine.policy.tokens, windowTokens: 64, rule: mine.policy.rule });
    await expect(meansOver(polyglot, HOOKS, null)).rejects.toThrow(/mean ablation needs a reference text/);
    expect(corpusReference(polyglot, null)).toBeNull();
  });

  it('run and attribute record which text the means came from and how it was cut', () => {
    const file = join(dir, 'ref2.txt');
    writeFileSync(file, 'Der Hund ist groß und die Katze ist klein.\n');
    const r = cli(['run', '--model', 'polyglot', '--text', 'Der Hund', '--edit', 'blocks.0.mlp.hook_post:3:mean', '--reference', file]);
    expect(r.stderr).toBe('');
    expect(r.json.means_reference).toBe(file);
    expect(r.json.means_policy).toEqual(policyJson(referenceWindows(polyglot, readFileSync(file, 'utf8'), file).policy));
    const a = cli(['attribute', '--model', 'polyglot', '--text', 'Der Hund ', '--target', 'i', '--method', 'ablate', '--ablation', 'mean', '--reference', file, '--layer', '0', '--kinds', 'head']);
    expect(a.stderr).toBe('');
    expect(a.json.means_policy).toEqual(r.json.means_policy);
  });
});
