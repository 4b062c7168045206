/**
 * A vision model's bundled example images (examples/index.json in the folder it was loaded from), read in the worker
 * for the class-level paths (class-paths-api.ts) and a neuron's top-activating images (top-images-api.ts): fetched,
 * decoded and preprocessed with the code prepareImage and the CLI use.
 */
import { fail } from '../engine/errors';
import { decodeImage } from '../engine/image-decode';
import { preprocessImage } from '../engine/image-preprocess';
import type { Model } from '../engine/model';
import type { LabelledImage } from '../analysis/class-paths';

/** One entry of examples/index.json. */
export interface ExampleEntry {
  id: string;
  file: string;
  label: number;
}

/** A bundled example, preprocessed ([C, H, W]), with its file name. */
export interface ExampleImage extends LabelledImage {
  file: string;
}

/** The example index of the model's folder, or why there is none (no folder: local files, hub; no examples/index.json). */
export async function exampleIndex(m: Model, folder: string | null, signal?: AbortSignal): Promise<{ base: string; entries: ExampleEntry[] } | { reason: string }> {
  if (!m.config.vision) fail(`${m.name} reads text, not images`);
  if (!folder) return { reason: `${m.name} was not opened from a folder with examples/` };
  const base = folder + 'examples/';
  const res = await fetch(base + 'index.json', { signal });
  if (!res.ok) return { reason: `${m.name} has no example images (${base}index.json: HTTP ${res.status})` };
  const index = (await res.json()) as { images?: ExampleEntry[] };
  return { base, entries: Array.isArray(index.images) ? index.images : [] };
}

/** The given entries of the examples folder `base`, fetched, decoded and preprocessed for the model, in order. */
export async function loadExamples(m: Model, base: string, entries: ExampleEntry[], signal?: AbortSignal): Promise<ExampleImage[]> {
  const v = m.config.vision;
  if (!v) fail(`${m.name} reads text, not images`);
  const out: ExampleImage[] = [];
  for (const e of entries) {
    const r = await fetch(base + e.file, { signal });
    if (!r.ok) fail(`the example image ${e.file} could not be fetched (HTTP ${r.status})`);
    out.push({ id: e.id, label: e.label, file: e.file, pixels: preprocessImage(decodeImage(new Uint8Array(await r.arrayBuffer()), e.file), v, e.file) });
  }
  return out;
}
