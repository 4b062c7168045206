/**
 * The files of a model to load, by where it comes from: a folder URL (config, tokenizer, a vision model's
 * preprocessor, the weights, an optional corpus.txt), the hub (cache first; refused with figures before any weight
 * is downloaded when it will not fit), or files the user chose.
 */
import { blobSource, type ByteSource } from '../engine/bytes';
import type { WeightFile } from '../engine/checkpoint';
import { fail } from '../engine/errors';
import { formatHubRef, isVisionConfigText } from '../engine/hub';
import { checkMemory, deviceLimits } from '../engine/memory-check';
import type { LoadProgress, ModelSource } from './api';
import { fetchText, fetchWeights } from './fetch-model';
import { fetchHubModel } from './hub-fetch';

export interface ModelFiles {
  name: string;
  config: string;
  tokenizer: string | object | null;
  preprocessor: string | null;
  st: ByteSource | WeightFile[];
  corpusText: string | null;
  /** The folder URL it came from (where bundled examples are); null for the hub and local files. */
  folder: string | null;
  warnings: string[];
}

export async function modelFiles(source: ModelSource, signal: AbortSignal, onProgress?: (p: LoadProgress) => void): Promise<ModelFiles> {
  const ctrl = { signal };
  let config: string;
  let tokenizer: string | object | null;
  let preprocessor: string | null = null;
  let st: ByteSource | WeightFile[];
  let name: string;
  let corpusText: string | null = null;
  let folder: string | null = null;
  const warnings: string[] = [];
  if (source.kind === 'url') {
    const base = (folder = source.baseUrl.endsWith('/') ? source.baseUrl : source.baseUrl + '/');
    name = source.name ?? (base.split('/').filter(Boolean).pop() || 'model');
    config = (await fetchText(base + 'config.json', false, ctrl.signal))!;
    tokenizer = await fetchText(base + 'tokenizer.json', true, ctrl.signal);
    // Vision models: the image processor's settings (resize, crop, rescale, normalise), as the CLI and the hub path read them.
    if (isVisionConfigText(config)) preprocessor = await fetchText(base + 'preprocessor_config.json', true, ctrl.signal);
    st = await fetchWeights(base, onProgress, ctrl.signal);
    corpusText = await fetchText(base + 'corpus.txt', true, ctrl.signal).catch(() => null);
  } else if (source.kind === 'hub') {
    name = source.name ?? formatHubRef(source.ref);
    const id = formatHubRef(source.ref, { prefix: true, full: true });
    const got = await fetchHubModel(source.endpoint, source.ref, {
      signal: ctrl.signal,
      onProgress: (p) => onProgress?.({ ...p, phase: 'download' }),
      // Before any weight is downloaded: refuse with figures what will not fit, warn when it is close.
      beforeWeights: (cfg) => {
        const v = checkMemory(cfg, deviceLimits({ browser: true }), id);
        if (v.kind === 'tight') warnings.push(v.message);
      },
    }).catch((e) => {
      if ((e as Error).name === 'AbortError') fail('loading was cancelled');
      throw e;
    });
    ({ config, tokenizer, preprocessor } = got);
    st = got.weights;
    if (got.notKept.length) warnings.push(`${got.notKept.join(', ')} could not be kept for offline use (browser storage is full or unavailable)`);
  } else {
    name = source.name ?? 'local model';
    config = await source.files.config.text();
    tokenizer = source.files.tokenizer ? await source.files.tokenizer.text() : null;
    st = blobSource(source.files.safetensors);
  }
  return { name, config, tokenizer, preprocessor, st, corpusText, folder, warnings };
}
