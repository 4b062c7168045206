import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/engine/bytes';
import { parseSafetensorsHeader, readTensor } from '../../src/engine/safetensors';
import { encodeSafetensors } from '../../src/engine/safetensors-write';

describe('encodeSafetensors', () => {
  it('writes a file the reader parses back exactly, with an 8-byte aligned data section', async () => {
    const tensors = [
      { name: 'transformer.wte.weight', shape: [3, 2], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
      { name: 'transformer.h.0.ln_1.bias', shape: [5], data: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]) },
      { name: 'scalar', shape: [], data: new Float32Array([42]) },
      { name: 'ünïcode.name', shape: [1, 1], data: new Float32Array([Math.PI]) },
    ];
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.trimEnd()).toBe(headerText.replace(/ +$/, ''));
    expect(JSON.parse(headerText).__metadata__).toEqual({ format: 'pt' });

    const src = bytesSource(bytes);
    const header = await parseSafetensorsHeader(src);
    expect(header.dataStart).toBe(8 + n);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect([...header.tensors.keys()].sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const e = header.tensors.get(t.name)!;
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(t.shape);
      expect(Array.from(await readTensor(src, header, e))).toEqual(Array.from(t.data));
    }
    expect(bytes.length).toBe(8 + n + 4 * (6 + 5 + 1 + 1));
  });

  it('handles sub-array views and no metadata', async () => {
    const big = new Float32Array([9, 8, 7, 6, 5]);
    const bytes = encodeSafetensors([{ name: 'a', shape: [2], data: big.subarray(2, 4) }]);
    const header = await parseSafetensorsHeader(bytesSource(bytes));
    expect(Array.from(await readTensor(bytesSource(bytes), header, header.tensors.get('a')!))).toEqual([7, 6]);
    expect(header.metadata).toEqual({});
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/needs 4 values/);
  });
});
