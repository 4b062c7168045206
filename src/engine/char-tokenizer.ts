/**
 * A character-level tokenizer in the Hugging Face tokenizer.json format: every character is one token
 * (a Split pre-tokenizer isolates characters, a BPE model without merges maps them to ids, the Fuse decoder
 * joins them back). Characters outside the vocabulary become `unk`.
 */
export function charTokenizerJson(chars: string[], unk = '\u2047'): object {
  const vocab: Record<string, number> = {};
  const all = chars.includes(unk) ? chars : [...chars, unk];
  all.forEach((c, i) => (vocab[c] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}
