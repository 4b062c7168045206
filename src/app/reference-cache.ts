/**
 * Reference texts the user gave, kept in IndexedDB per model, so that reopening the page with the same model restores
 * the text (and with it the contexts of neuron cards and the means of mean ablation) without asking again. The key is
 * the model's fingerprint: the SHA-256 of local files, else where it came from (bundled name, URL, hub name and
 * revision and endpoint), with a hash of its config either way.
 */
import { wrap, type IDBPDatabase } from 'idb';
import type { ModelConfig } from '../engine/types';
import type { ModelRef } from '../store/store';

export const REFERENCE_DB = 'pathlight-references';
const DB_VERSION = 1;
const STORE = 'references';
/** Longest text kept (characters); the windows come from the start of a text, far inside this. */
export const MAX_KEPT_CHARS = 1_000_000;

export interface KeptReference {
  /** The model's fingerprint (referenceKey). */
  key: string;
  /** What the user called it: a file name, `pasted text`. */
  name: string;
  text: string;
  /** Milliseconds since the epoch. */
  savedAt: number;
}

export interface ReferenceStore {
  get(key: string): Promise<KeptReference | undefined>;
  put(r: KeptReference): Promise<void>;
  delete(key: string): Promise<void>;
}

/** FNV-1a over a string, as 8 hex digits (a cheap, stable fingerprint of a config). */
function fnv(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The key a model's reference text is kept under. */
export function referenceKey(ref: ModelRef, config: ModelConfig, hubEndpoint = ''): string {
  const where =
    ref.kind === 'local'
      ? ref.fingerprint
        ? `local:sha256:${ref.fingerprint.sha256}`
        : `local:${ref.name}`
      : ref.kind === 'url'
        ? `url:${ref.url}`
        : ref.kind === 'hub'
          ? `hub:${hubEndpoint}/${ref.name}@${ref.revision}`
          : `bundled:${ref.name}`;
  return `${where}|config:${fnv(JSON.stringify(config))}`;
}

/** Opens (creating) the database. `factory` defaults to the global indexedDB (tests pass fake-indexeddb's). */
export async function openReferenceStore(opts: { dbName?: string; factory?: IDBFactory } = {}): Promise<ReferenceStore> {
  const factory = opts.factory ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available in this browser');
  const open = factory.open(opts.dbName ?? REFERENCE_DB, DB_VERSION);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'key' });
  };
  const db = (await wrap(open)) as IDBPDatabase;
  return {
    async get(key) {
      const r = (await db.get(STORE, key)) as KeptReference | undefined;
      return r && typeof r.text === 'string' && typeof r.name === 'string' ? r : undefined;
    },
    async put(r) {
      await db.put(STORE, { ...r, text: r.text.slice(0, MAX_KEPT_CHARS) });
    },
    async delete(key) {
      await db.delete(STORE, key);
    },
  };
}

let shared: Promise<ReferenceStore | null> | null = null;
/** The page's store, opened once; null where IndexedDB cannot be opened (private windows of some browsers). */
export function referenceStore(): Promise<ReferenceStore | null> {
  shared ??= openReferenceStore().catch(() => null);
  return shared;
}

/**
 * The reference kept for `key`, applied with `apply` (the engine's setReference). A kept text the engine now refuses
 * (the model changed in a way the key did not see) is forgotten. Returns what `apply` returned, or null.
 */
export async function restoreReference<T>(store: ReferenceStore | null, key: string, apply: (text: string, name: string) => Promise<T>): Promise<T | null> {
  const kept = await store?.get(key).catch(() => undefined);
  if (!kept) return null;
  try {
    return await apply(kept.text, kept.name);
  } catch {
    await store!.delete(key).catch(() => undefined);
    return null;
  }
}

/** Keeps a text the engine accepted for `key`; a store that cannot write (quota) leaves the page working. */
export async function keepReference(store: ReferenceStore | null, key: string, name: string, text: string, now = Date.now()): Promise<boolean> {
  if (!store) return false;
  return store.put({ key, name, text, savedAt: now }).then(
    () => true,
    () => false,
  );
}
