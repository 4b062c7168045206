/** A table of malformed models and requests, each with the message it must be refused with. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR } from './fixture';

export const fixtureConfig = readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8');
export const fixtureBytes = new Uint8Array(readFileSync(join(FIXTURE_DIR, 'model.safetensors')));

function headerOf(bytes: Uint8Array): { len: number; json: Record<string, any> } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) };
}

/** Rebuilds the fixture with an edited header (data section unchanged). */
function withHeader(edit: (h: Record<string, any>) => void): Uint8Array {
  const { len, json } = headerOf(fixtureBytes);
  edit(json);
  const text = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + fixtureBytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(fixtureBytes.subarray(8 + len), 8 + text.length);
  return out;
}

function rawHeader(text: string, dataBytes = 16): Uint8Array {
  const t = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + t.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(t.length), true);
  out.set(t, 8);
  return out;
}

export interface BadCase {
  name: string;
  config?: string;
  safetensors?: Uint8Array;
  /** A request problem rather than a file problem: the prompt ids. */
  ids?: number[];
  message: RegExp;
}

const firstKey = 'transformer.h.0.mlp.c_fc.weight';

export const BAD_CASES: BadCase[] = [
  { name: 'empty file', safetensors: new Uint8Array(0), message: /the file is empty/ },
  { name: 'truncated file', safetensors: fixtureBytes.subarray(0, 5), message: /truncated/ },
  { name: 'truncated data', safetensors: fixtureBytes.subarray(0, fixtureBytes.length - 1000), message: /outside the data section/ },
  {
    name: 'header length past the end',
    safetensors: (() => {
      const b = fixtureBytes.slice(0, 4096);
      new DataView(b.buffer).setBigUint64(0, 1_000_000n, true);
      return b;
    })(),
    message: /header length 1000000 runs past the end of the file/,
  },
  { name: 'header not JSON', safetensors: rawHeader('{"not json'), message: /header is not valid JSON/ },
  {
    name: 'offsets out of range',
    safetensors: withHeader((h) => (h[firstKey].data_offsets = [0, 10 ** 9])),
    message: /offsets \[0, 1000000000\] outside the data section/,
  },
  {
    name: 'missing tensor',
    safetensors: withHeader((h) => delete h['transformer.ln_f.bias']),
    message: /tensor "ln_f.bias" is missing/,
  },
  {
    name: 'integer dtype',
    safetensors: withHeader((h) => (h[firstKey].dtype = 'I32')),
    message: /dtype I32; only floating-point/,
  },
  {
    name: 'shape disagrees with config.json',
    config: fixtureConfig.replace('"n_inner": null', '"n_inner": 128'),
    message: /has shape \[64, 256\] but config.json implies \[64, 128\]/,
  },
  {
    name: 'unsupported model_type',
    config: fixtureConfig.replace('"model_type": "gpt2"', '"model_type": "mamba"'),
    message: /model_type "mamba" is not supported/,
  },
  { name: 'token id outside the vocabulary', ids: [3, 77, 9999], message: /token id 9999 is outside the vocabulary \(0\.\.511\)/ },
  { name: 'prompt longer than the context', ids: Array.from({ length: 65 }, (_, i) => i), message: /65 tokens long, longer than the model's context of 64/ },
];
