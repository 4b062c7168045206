import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { bytesSource } from '../../src/engine/bytes';
import { encodeSafetensors, type NamedTensor } from '../../src/engine/safetensors-write';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { ARCH_FIXTURES, fixtureDir, fixtureReference } from './arch-fixtures';
import { worstRatio } from './fixture';

/** Every tensor of a fixture's checkpoint, in file order. */
async function tensorsOf(fixture: string): Promise<NamedTensor[]> {
  const src = bytesSource(new Uint8Array(readFileSync(join(fixtureDir(fixture), 'model.safetensors'))));
  const header = await parseSafetensorsHeader(src);
  const out: NamedTensor[] = [];
  for (const e of header.tensors.values()) out.push({ name: e.name, shape: e.shape, data: await readTensor(src, header, e) });
  return out;
}

/** A folder holding the fixture split into `n` shards with an index (no model.safetensors). */
function shardedDir(fixture: string, tensors: NamedTensor[], n: number, edit?: (shards: NamedTensor[][], map: Record<string, string>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `sharded-${fixture}-`));
  writeFileSync(join(dir, 'config.json'), readFileSync(join(fixtureDir(fixture), 'config.json')));
  const shards: NamedTensor[][] = Array.from({ length: n }, () => []);
  tensors.forEach((t, i) => shards[Math.floor((i * n) / tensors.length)].push(t));
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  const map: Record<string, string> = {};
  shards.forEach((s, i) => s.forEach((t) => (map[t.name] = names[i])));
  edit?.(shards, map);
  shards.forEach((s, i) => writeFileSync(join(dir, names[i]), encodeSafetensors(s)));
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
  return dir;
}

describe('sharded checkpoints', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(ARCH_FIXTURES)('%s split into three shards gives the reference logits', async (fixture) => {
    const ref = fixtureReference(fixture);
    const dir = shardedDir(fixture, await tensorsOf(fixture), 3);
    const model = await loadModelDir(dir);
    const r = await runModel(model, { inputIds: [ref.input_ids] });
    expect(worstRatio(r.logits!.data, ref.logits.data)).toBeLessThanOrEqual(1);
    model.dispose();
  });

  it('an index naming a missing shard is refused with the shard name', async () => {
    const dir = shardedDir('llama-tiny', await tensorsOf('llama-tiny'), 2, (_s, map) => (map['lm_head.weight'] = 'model-00009-of-00009.safetensors'));
    await expect(loadModelDir(dir)).rejects.toThrow(/names the shard "model-00009-of-00009.safetensors", which is missing/);
  });

  it('a tensor in two shards is refused', async () => {
    const all = await tensorsOf('pythia-tiny');
    const dir = shardedDir('pythia-tiny', all, 2, (shards) => shards[1].push(shards[0][0]));
    await expect(loadModelDir(dir)).rejects.toThrow(/appears twice/);
  });

  it('a folder with neither model.safetensors nor an index says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noweights-'));
    writeFileSync(join(dir, 'config.json'), readFileSync(join(fixtureDir('gpt2-tiny'), 'config.json')));
    await expect(loadModelDir(dir)).rejects.toThrow(/model.safetensors is missing \(and there is no model.safetensors.index.json/);
  });
});
