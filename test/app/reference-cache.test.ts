/** Reference texts kept per model in IndexedDB (src/app/reference-cache.ts), on fake-indexeddb, and their provenance. */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceMeans } from '../../src/analysis/means';
import { provenanceOf } from '../../src/app/provenance';
import { keepReference, MAX_KEPT_CHARS, openReferenceStore, referenceKey, restoreReference, type ReferenceStore } from '../../src/app/reference-cache';
import { initBackend } from '../../src/engine/backend';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import type { State } from '../../src/store/store';
import { corpusInfoOf, userReference } from '../../src/worker/reference';

const TEXT = 'Der Hund läuft über die Straße.\nThe cat sleeps on the sofa all morning long, and it will not wake before noon.\n';

describe('reference texts kept per model fingerprint', () => {
  let model: Model;
  beforeAll(async () => {
    await initBackend('wasm');
    model = await loadModelDir('polyglot');
  });
  afterAll(() => model.dispose());

  it('keys differ by where the model came from and by its config; the same model gives the same key', () => {
    const cfg = model.config;
    const bundled = referenceKey({ kind: 'bundled', name: 'polyglot' }, cfg);
    expect(referenceKey({ kind: 'bundled', name: 'polyglot' }, { ...cfg })).toBe(bundled);
    const keys = [
      bundled,
      referenceKey({ kind: 'bundled', name: 'induction' }, cfg),
      referenceKey({ kind: 'bundled', name: 'polyglot' }, { ...cfg, nLayer: cfg.nLayer + 1 }),
      referenceKey({ kind: 'url', url: 'https://example.org/polyglot/' }, cfg),
      referenceKey({ kind: 'local', name: 'x', fingerprint: { sha256: 'ab'.repeat(32) } as never }, cfg),
      referenceKey({ kind: 'local', name: 'x', fingerprint: { sha256: 'cd'.repeat(32) } as never }, cfg),
      referenceKey({ kind: 'hub', name: 'o/n', revision: 'main' }, cfg, 'https://huggingface.co'),
      referenceKey({ kind: 'hub', name: 'o/n', revision: 'v2' }, cfg, 'https://huggingface.co'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[4]).toMatch(/^local:sha256:(ab){32}\|config:[0-9a-f]{8}$/);
  });

  it('a kept text comes back after a reopen (a reload) for the same model only, and gives the same windows and means', async () => {
    const factory = new IDBFactory();
    const key = referenceKey({ kind: 'bundled', name: 'polyglot' }, model.config);
    const first = await openReferenceStore({ factory });
    expect(await keepReference(first, key, 'notes.txt', TEXT, 1234)).toBe(true);
    const again = await openReferenceStore({ factory });
    expect(await again.get(key)).toEqual({ key, name: 'notes.txt', text: TEXT, savedAt: 1234 });
    // The worker's path, as the page applies it on load.
    const applied: string[] = [];
    const info = await restoreReference(again, key, async (text, name) => {
      applied.push(name);
      return corpusInfoOf(userReference(model, text, name));
    });
    const direct = userReference(model, TEXT, 'notes.txt');
    expect(applied).toEqual(['notes.txt']);
    expect(info).toEqual(corpusInfoOf(direct));
    expect(info).toMatchObject({ name: 'notes.txt', windows: 3, windowTokens: 64 });
    const restoredMeans = await referenceMeans(model, ['blocks.0.mlp.hook_post'], userReference(model, (await again.get(key))!.text, 'notes.txt'));
    const directMeans = await referenceMeans(model, ['blocks.0.mlp.hook_post'], direct);
    expect(Array.from(restoredMeans['blocks.0.mlp.hook_post'])).toEqual(Array.from(directMeans['blocks.0.mlp.hook_post']));
    // Another model's key finds nothing; nothing is applied.
    expect(await restoreReference(again, referenceKey({ kind: 'bundled', name: 'induction' }, model.config), async () => 'applied')).toBeNull();
  });

  it('a kept text the engine now refuses is forgotten; a store that cannot write leaves the page working; long texts are cut', async () => {
    const factory = new IDBFactory();
    const store = await openReferenceStore({ factory });
    await keepReference(store, 'k', 'old.txt', '\n  \n');
    const refused = await restoreReference(store, 'k', async (text, name) => corpusInfoOf(userReference(model, text, name)));
    expect(refused).toBeNull();
    expect(await store.get('k')).toBeUndefined();
    const full: ReferenceStore = { get: async () => undefined, put: async () => Promise.reject(new Error('QuotaExceededError')), delete: async () => undefined };
    expect(await keepReference(full, 'k', 'a.txt', TEXT)).toBe(false);
    expect(await keepReference(null, 'k', 'a.txt', TEXT)).toBe(false);
    expect(await restoreReference(null, 'k', async () => 'x')).toBeNull();
    await keepReference(store, 'long', 'big.txt', 'x'.repeat(MAX_KEPT_CHARS + 10));
    expect((await store.get('long'))!.text).toHaveLength(MAX_KEPT_CHARS);
  });

  it('exports name the reference text, and mean edits say what they average over', () => {
    const info = corpusInfoOf(userReference(model, TEXT, 'notes.txt'))!;
    const state = {
      model: null,
      modelRef: { kind: 'bundled', name: 'polyglot' },
      prompt: 'Der Hund',
      tokens: null,
      method: 'neuronpath',
      steps: 20,
      beam: 1,
      target: null,
      distractor: null,
      clean: null,
      edits: [{ id: '1', hook: 'blocks.0.mlp.hook_post', index: 3, op: 'mean', positions: null, enabled: true, label: 'L0.N3@all mean' }],
      reference: { ...info, kept: true },
    } as unknown as State;
    const p = provenanceOf(state);
    expect(p.reference).toEqual({ source: 'notes.txt', windows: 3, tokens: info.tokens, window_tokens: 64, rule: info.rule });
    expect(p.edits).toEqual(['L0.N3@all mean (mean over notes.txt)']);
    expect(provenanceOf({ ...state, reference: null }).reference).toBeNull();
  });
});
