import { Tokenizer } from '@huggingface/tokenizers';
import { fail } from './errors';

/** Text ↔ token ids through a Hugging Face tokenizer.json. */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** How one token reads on screen (byte-level markers such as Ġ resolved). */
  tokenString(id: number): string;
  /** Finds the id of a string that encodes to exactly one token, or null. */
  singleTokenId(text: string): number | null;
}

export function loadTokenizer(json: string | object, vocabSize: number, config: object = {}): TextTokenizer {
  let obj: unknown = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch {
      fail('tokenizer.json is not valid JSON');
    }
  }
  if (!obj || typeof obj !== 'object' || !('model' in obj)) fail('tokenizer.json has no "model" section: not a Hugging Face tokenizer file');
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(obj as object, config);
  } catch (e) {
    fail(`tokenizer.json could not be read: ${(e as Error).message}`);
  }
  const cache = new Map<number, string>();
  const self: TextTokenizer = {
    encode(text) {
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      for (const id of ids) if (id >= vocabSize) fail(`tokenizer.json produced token id ${id}, outside the model's vocabulary of ${vocabSize}`);
      return ids;
    },
    decode(ids) {
      return tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
    tokenString(id) {
      let s = cache.get(id);
      if (s === undefined) {
        s = tok.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
        if (s === '' || s.includes('\uFFFD')) s = tok.id_to_token(id) ?? `#${id}`;
        cache.set(id, s);
      }
      return s;
    },
    singleTokenId(text) {
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      return ids.length === 1 ? ids[0] : null;
    },
  };
  return self;
}
