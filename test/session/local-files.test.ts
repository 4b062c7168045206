import { describe, expect, it } from 'vitest';
import { checkModelFiles, fingerprintModelFiles, pickModelFiles, sampleOffsets } from '../../src/session/local-files';
import { LocalFingerprint } from '../../src/session/schema';

/** A small but well-formed safetensors file: 8-byte header length, JSON header, `dataBytes` of weights. */
function safetensors(dataBytes: number, fill = (i: number) => (i * 31 + 7) & 255): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [dataBytes / 4], data_offsets: [0, dataBytes] } }));
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + header.length + i] = fill(i);
  return out;
}

const config = new Blob(['{"n_layer":2,"n_embd":64}']);
const weights = safetensors(1 << 20);

describe('local model fingerprints', () => {
  it('are deterministic and valid for the schema', async () => {
    const a = await fingerprintModelFiles({ config, safetensors: new File([weights as Uint8Array<ArrayBuffer>], 'tiny.safetensors') });
    const b = await fingerprintModelFiles({ config, safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]), name: 'tiny' });
    expect(a).toEqual(b);
    expect(a.name).toBe('tiny');
    expect(a.size).toBe(weights.length);
    expect(LocalFingerprint.safeParse(a).success).toBe(true);
  });

  it('change with the config, the header, sampled weights and the tokenizer', async () => {
    const base = await fingerprintModelFiles({ config, safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]) });
    const other = async (f: Parameters<typeof fingerprintModelFiles>[0]) => (await fingerprintModelFiles(f)).sha256;
    expect(await other({ config: new Blob(['{"n_layer":3,"n_embd":64}']), safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]) })).not.toBe(base.sha256);
    // Same architecture (identical header), different weights: the samples tell them apart.
    expect(await other({ config, safetensors: new Blob([safetensors(1 << 20, (i) => (i * 17) & 255) as Uint8Array<ArrayBuffer>]) })).not.toBe(base.sha256);
    // One byte changed inside the first sample.
    const tweaked = weights.slice();
    tweaked[weights.length - (1 << 20) + 10] ^= 1;
    expect(await other({ config, safetensors: new Blob([tweaked]) })).not.toBe(base.sha256);
    expect(await other({ config, safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]), tokenizer: new Blob(['{}']) })).not.toBe(base.sha256);
  });

  it('small files are hashed whole', async () => {
    const small = safetensors(64);
    const base = await fingerprintModelFiles({ config, safetensors: new Blob([small as Uint8Array<ArrayBuffer>]) });
    const t = small.slice();
    t[t.length - 1] ^= 1;
    expect((await fingerprintModelFiles({ config, safetensors: new Blob([t]) })).sha256).not.toBe(base.sha256);
    expect(sampleOffsets(100, 200)).toEqual([100]);
    const offs = sampleOffsets(100, 100 + (1 << 20));
    expect(offs.length).toBe(32);
    expect(offs[0]).toBe(100);
    expect(offs[31]).toBe(100 + (1 << 20) - 4096);
  });

  it('refuse files that are not safetensors', async () => {
    await expect(fingerprintModelFiles({ config, safetensors: new Blob([new Uint8Array([1, 2, 3])]) })).rejects.toThrow(/truncated/);
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setBigUint64(0, 1n << 40n, true);
    await expect(fingerprintModelFiles({ config, safetensors: new Blob([lying]) })).rejects.toThrow(/header longer than the file/);
  });

  it('checkModelFiles accepts the same files and explains a mismatch', async () => {
    const fp = await fingerprintModelFiles({ config, safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]), name: 'tiny' });
    expect((await checkModelFiles(fp, { config, safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]) })).ok).toBe(true);
    const smaller = await checkModelFiles(fp, { config, safetensors: new Blob([safetensors(4096) as Uint8Array<ArrayBuffer>]) });
    expect(smaller.ok).toBe(false);
    expect(smaller.problems[0]).toMatch(/bytes; the session's model had 1,048,6\d\d/);
    const otherConfig = await checkModelFiles(fp, { config: new Blob(['{}']), safetensors: new Blob([weights as Uint8Array<ArrayBuffer>]) });
    expect(otherConfig.ok).toBe(false);
    expect(otherConfig.problems[0]).toMatch(/differ from the ones the session was made with/);
  });

  it('pickModelFiles sorts a picked list', () => {
    const files = [new File(['{}'], 'tokenizer.json'), new File(['x'], 'model.safetensors'), new File(['{}'], 'config.json'), new File(['x'], 'README.md')];
    const p = pickModelFiles(files);
    expect(p.config?.name).toBe('config.json');
    expect(p.safetensors?.name).toBe('model.safetensors');
    expect(p.tokenizer?.name).toBe('tokenizer.json');
    expect(pickModelFiles([]).config).toBeNull();
  });
});
