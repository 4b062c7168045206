/**
 * A checkpoint as one table of tensors, whatever its files: a single model.safetensors or a sharded one
 * (model.safetensors.index.json naming the shard of every tensor). Names appear with the architecture's prefix
 * removed; a name found twice (in two shards, or with and without the prefix) is refused.
 */
import type { ByteSource } from './bytes';
import { fail } from './errors';
import { parseSafetensorsHeader, readTensor, type SafetensorsHeader, type TensorEntry } from './safetensors';

export const INDEX_FILE = 'model.safetensors.index.json';

/** One safetensors file of a checkpoint. */
export interface WeightFile {
  name: string;
  source: ByteSource;
}

/** The shard file names an index lists, checked against the files at hand (`available`, or none to skip). */
export function parseShardIndex(text: string, available?: string[]): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(`${INDEX_FILE} is not valid JSON`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) fail(`${INDEX_FILE} has no "weight_map" object`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  if (shards.length === 0) fail(`${INDEX_FILE}: "weight_map" names no shard`);
  for (const s of shards) {
    if (typeof s !== 'string' || !/^[\w.-]+\.safetensors$/.test(s)) fail(`${INDEX_FILE}: shard name ${JSON.stringify(s)} is not a safetensors file name`);
    if (available && !available.includes(s)) fail(`${INDEX_FILE} names the shard "${s}", which is missing`);
  }
  return shards as string[];
}

interface Located {
  entry: TensorEntry;
  header: SafetensorsHeader;
  file: WeightFile;
}

export interface TensorTable {
  /** Number of parameter tensors. */
  size: number;
  /** Names with the prefix removed, buffers left out. */
  has(key: string): boolean;
  entry(key: string): TensorEntry | undefined;
  fileOf(key: string): string;
  read(key: string): Promise<Float32Array>;
}

export async function tensorTable(files: WeightFile[], prefixes: string[], isBuffer: (key: string) => boolean): Promise<TensorTable> {
  if (files.length === 0) fail('no model.safetensors file was given');
  const byKey = new Map<string, Located>();
  for (const file of files) {
    const header = await parseSafetensorsHeader(file.source, file.name);
    for (const entry of header.tensors.values()) {
      const prefix = prefixes.find((p) => entry.name.startsWith(p));
      const key = prefix ? entry.name.slice(prefix.length) : entry.name;
      if (isBuffer(key)) continue;
      const prev = byKey.get(key);
      if (prev) fail(`tensor "${key}" appears twice (as "${prev.entry.name}" in ${prev.file.name} and as "${entry.name}" in ${file.name})`);
      byKey.set(key, { entry, header, file });
    }
  }
  return {
    size: byKey.size,
    has: (k) => byKey.has(k),
    entry: (k) => byKey.get(k)?.entry,
    fileOf: (k) => byKey.get(k)?.file.name ?? 'model.safetensors',
    read: async (k) => {
      const l = byKey.get(k)!;
      return readTensor(l.file.source, l.header, l.entry);
    },
  };
}
