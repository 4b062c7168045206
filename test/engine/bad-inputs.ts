/** A table of malformed models and requests, each with the message it must be refused with. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from './arch-fixtures';
import { FIXTURE_DIR } from './fixture';

export const fixtureConfig = readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8');
export const fixtureBytes = new Uint8Array(readFileSync(join(FIXTURE_DIR, 'model.safetensors')));
const configOf = (f: string) => readFileSync(join(fixtureDir(f), 'config.json'), 'utf8');
const bytesOf = (f: string) => new Uint8Array(readFileSync(join(fixtureDir(f), 'model.safetensors')));
/** A fixture's config.json with fields changed. */
function configWith(f: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(configOf(f)), ...fields });
}

function headerOf(bytes: Uint8Array): { len: number; json: Record<string, any> } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) };
}

/** Rebuilds a checkpoint with an edited header (data section unchanged). */
function withHeader(edit: (h: Record<string, any>) => void, bytes = fixtureBytes): Uint8Array {
  const { len, json } = headerOf(bytes);
  edit(json);
  const text = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + bytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + len), 8 + text.length);
  return out;
}

/** A checkpoint without one tensor (its bytes removed, later offsets moved down). */
function without(name: string, bytes = fixtureBytes): Uint8Array {
  const { len, json } = headerOf(bytes);
  const [b0, e0] = json[name].data_offsets;
  const data = bytes.subarray(8 + len);
  const rest = new Uint8Array(data.length - (e0 - b0));
  rest.set(data.subarray(0, b0));
  rest.set(data.subarray(e0), b0);
  delete json[name];
  for (const [k, v] of Object.entries(json)) if (k !== '__metadata__' && v.data_offsets[0] >= e0) v.data_offsets = v.data_offsets.map((o: number) => o - (e0 - b0));
  const text = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + rest.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(rest, 8 + text.length);
  return out;
}

/** A checkpoint with the second float32 value of a tensor replaced. */
function withValue(bytes: Uint8Array, tensor: string, value: number): Uint8Array {
  const { len, json } = headerOf(bytes);
  const out = bytes.slice();
  new DataView(out.buffer).setFloat32(8 + len + json[tensor].data_offsets[0] + 4, value, true);
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
    safetensors: without('transformer.ln_f.bias'),
    message: /tensor "ln_f.bias" is missing/,
  },
  {
    name: 'hole in the data section',
    safetensors: withHeader((h) => delete h['transformer.h.0.ln_2.bias']),
    message: /bytes before tensor "[^"]+" belong to no tensor \(the data section has a hole at offset \d+\)/,
  },
  {
    name: 'trailing bytes after the last tensor',
    safetensors: (() => {
      const out = new Uint8Array(fixtureBytes.length + 12);
      out.set(fixtureBytes);
      return out;
    })(),
    message: /12 bytes after the last tensor belong to no tensor/,
  },
  {
    name: 'duplicate tensor name in the header',
    safetensors: (() => {
      const { len } = headerOf(fixtureBytes);
      const text = new TextDecoder().decode(fixtureBytes.subarray(8, 8 + len));
      const entry = /"transformer\.wpe\.weight":\{[^}]*\}/.exec(text)![0];
      const twice = new TextEncoder().encode(text.replace(entry, `${entry},${entry}`));
      const out = new Uint8Array(8 + twice.length + fixtureBytes.length - 8 - len);
      new DataView(out.buffer).setBigUint64(0, BigInt(twice.length), true);
      out.set(twice, 8);
      out.set(fixtureBytes.subarray(8 + len), 8 + twice.length);
      return out;
    })(),
    message: /the header names tensor "transformer.wpe.weight" twice/,
  },
  {
    name: 'tensor over 2 GiB',
    safetensors: withHeader((h) => (h[firstKey].shape = [65536, 16384])),
    message: /tensor "transformer.h.0.mlp.c_fc.weight" \[65536, 16384\] × F32 is 4294967296 bytes; tensors over 2147483647 bytes/,
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
  ...perArchitecture(),
  {
    name: 'non-finite weight',
    safetensors: withValue(fixtureBytes, firstKey, Number.NaN),
    message: /tensor "transformer.h.0.mlp.c_fc.weight" holds a non-finite value \(NaN\) at flat index 1/,
  },
  {
    name: 'implausible layer count',
    config: fixtureConfig.replace('"n_layer": 2', '"n_layer": 1000000000'),
    message: /"n_layer" is 1000000000; at most 4096 layers are supported/,
  },
  {
    name: 'more layers than the checkpoint holds',
    config: fixtureConfig.replace('"n_layer": 2', '"n_layer": 3000'),
    message: /3000 layers cannot fit in a checkpoint of 28 tensors/,
  },
  { name: 'token id outside the vocabulary', ids: [3, 77, 9999], message: /token id 9999 is outside the vocabulary \(0\.\.511\)/ },
  { name: 'prompt longer than the context', ids: Array.from({ length: 65 }, (_, i) => i), message: /65 tokens long, longer than the model's context of 64/ },
];

/** Cases for the architectures beyond GPT-2, each on its own fixture. */
function perArchitecture(): BadCase[] {
  const neo = { config: configOf('gptneo-tiny'), safetensors: bytesOf('gptneo-tiny') };
  const neox = { config: configOf('pythia-tiny'), safetensors: bytesOf('pythia-tiny') };
  const llama = { config: configOf('llama-tiny'), safetensors: bytesOf('llama-tiny') };
  return [
    { name: 'gpt_neo: missing tensor', ...neo, safetensors: without('transformer.h.1.attn.attention.k_proj.weight', neo.safetensors), message: /tensor "h.1.attn.attention.k_proj.weight" is missing \(expected shape \[48, 48\]/ },
    { name: 'gpt_neo: attention layers do not match the layer count', ...neo, config: configWith('gptneo-tiny', { attention_layers: ['global'] }), message: /"attention_layers" names 1 layers but "num_layers" is 2/ },
    { name: 'gpt_neo: unknown attention kind', ...neo, config: configWith('gptneo-tiny', { attention_layers: ['global', 'sparse'] }), message: /attention layer kind "sparse" is not "global" or "local"/ },
    { name: 'gpt_neox: untied unembedding missing', ...neox, safetensors: without('embed_out.weight', neox.safetensors), message: /tensor "embed_out.weight" is missing/ },
    { name: 'gpt_neox: MLP of the wrong shape', ...neox, config: configWith('pythia-tiny', { intermediate_size: 96 }), message: /"gpt_neox.layers.0.mlp.dense_h_to_4h.weight" has shape \[192, 48\] but config.json implies \[96, 48\]/ },
    { name: 'gpt_neox: odd rotary width', ...neox, config: configWith('pythia-tiny', { rotary_pct: 0.2, partial_rotary_factor: 0.2 }), message: /rotary_pct 0.2 of d_head 16 gives 3 rotary features/ },
    { name: 'gpt_neox: rope scaling', ...neox, config: configWith('pythia-tiny', { rope_scaling: { type: 'linear', factor: 2 } }), message: /"rope_scaling" \(\{"type":"linear","factor":2\}\) is not supported/ },
    { name: 'llama: kv heads do not divide heads', ...llama, config: configWith('llama-tiny', { num_key_value_heads: 3 }), message: /"num_key_value_heads" 3 does not divide the 4 attention heads/ },
    { name: 'llama: rope_parameters with a scaled rope type', ...llama, config: configWith('llama-tiny', { rope_parameters: { rope_type: 'yarn', rope_theta: 10000 } }), message: /"rope_parameters.rope_type" is "yarn"/ },
    { name: 'llama: unknown activation', ...llama, config: configWith('llama-tiny', { hidden_act: 'gelu_quick' }), message: /"hidden_act" is "gelu_quick", which is not supported/ },
    { name: 'llama: key projection of the wrong shape', ...llama, config: configWith('llama-tiny', { num_key_value_heads: 4 }), message: /"model.layers.0.self_attn.k_proj.weight" has shape \[24, 48\] but config.json implies \[48, 48\]/ },
    { name: 'llama: untied lm_head missing', ...llama, safetensors: without('lm_head.weight', llama.safetensors), message: /tensor "lm_head.weight" is missing/ },
    { name: 'qwen2: sliding-window attention', ...llama, config: configWith('llama-tiny', { model_type: 'qwen2', use_sliding_window: true }), message: /"use_sliding_window" is true: sliding-window attention \(Qwen2\) is not implemented/ },
    { name: 'qwen2: q/k/v biases missing', ...llama, config: configWith('llama-tiny', { model_type: 'qwen2' }), message: /tensor "layers.0.self_attn.q_proj.bias" is missing/ },
  ];
}
