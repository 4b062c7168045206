/**
 * Tokenizer files other than tokenizer.json. A GPT-2-style checkpoint folder may carry only the original
 * byte-level BPE files, `vocab.json` + `merges.txt` (OpenAI's release calls them `encoder.json` + `vocab.bpe`);
 * these build the equivalent Hugging Face tokenizer.json object. Pure TypeScript: no DOM, Node or tfjs.
 */
import { fail } from './errors';

const END_OF_TEXT = '<|endoftext|>';

/** vocab.json text as a token → id map, with a message fit to show when it is not one. */
export function parseVocabJson(text: string, what = 'vocab.json'): Record<string, number> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    fail(`${what} is not valid JSON`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) fail(`${what} is not a JSON object of token → id`);
  return obj as Record<string, number>;
}

/** The merges of a merges.txt / vocab.bpe file: one `left right` pair a line, `#version` header skipped. */
export function parseMerges(mergesText: string, vocab: Record<string, number>): Array<[string, string]> {
  const merges: Array<[string, string]> = [];
  const lines = mergesText.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') fail(`merges.txt line ${i + 1}: expected two tokens separated by one space, got "${line}"`);
    const [a, b] = parts;
    for (const t of [a, b, a + b]) {
      if (!Object.hasOwn(vocab, t)) fail(`merges.txt line ${i + 1}: "${t}" is not in vocab.json (the two files do not belong together)`);
    }
    merges.push([a, b]);
  });
  return merges;
}

/**
 * A Hugging Face tokenizer.json object equivalent to GPT-2's: ByteLevel pre-tokenizer (GPT-2's regex, no prefix
 * space), BPE model over `vocab` and the merges of `mergesText`, ByteLevel decoder, and `<|endoftext|>` as an
 * added special token when the vocabulary has it.
 */
export function byteLevelBpeTokenizerJson(vocab: Record<string, number>, mergesText: string): object {
  const ids = new Set<number>();
  for (const [tok, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0) fail(`vocab.json: token "${tok}" has id ${JSON.stringify(id)}, not a non-negative integer`);
    if (ids.has(id)) fail(`vocab.json: id ${id} is given to more than one token`);
    ids.add(id);
  }
  if (ids.size === 0) fail('vocab.json is empty');
  const added = Object.hasOwn(vocab, END_OF_TEXT)
    ? [{ id: vocab[END_OF_TEXT], content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }]
    : [];
  return byteLevelTokenizer(vocab, parseMerges(mergesText, vocab), added);
}

/**
 * The tokenizer.json object of a byte-level BPE tokenizer with GPT-2's settings (ByteLevel pre-tokenizer without a
 * prefix space, GPT-2's post-processor and decoder) over `vocab` and `merges`; also what training writes.
 */
export function byteLevelTokenizer(vocab: Record<string, number>, merges: Array<[string, string]>, added: object[] = []): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => [a, b]),
    },
  };
}
