import { Tokenizer } from '@huggingface/tokenizers';
import { fail } from './errors';

/** Text ↔ token ids through a Hugging Face tokenizer.json. */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** How one token reads on screen (byte-level markers such as Ġ resolved). */
  tokenString(id: number): string;
  /**
   * Finds the id of a string that is one token: a token that reads as `text` (see tokenString; so " the" finds
   * ▁the in a sentencepiece vocabulary), else the token `text` encodes to when it encodes to exactly one; or null.
   */
  singleTokenId(text: string): number | null;
}

const NO_SPECIAL = { add_special_tokens: false };
const RAW = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
/** A character nothing can show: a control character other than tab, newline and carriage return. */
const UNSHOWABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** GPT-2's byte → printable character table of byte-level BPE vocabularies (space → Ġ, newline → Ċ). */
function byteLevelChars(): string[] {
  const chars: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    chars.push(String.fromCodePoint(printable ? b : 256 + n++));
  }
  return chars;
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
  const inVocab = (ids: number[]) => {
    for (const id of ids) if (id >= vocabSize) fail(`tokenizer.json produced token id ${id}, outside the model's vocabulary of ${vocabSize}`);
    return ids;
  };
  const decode = (ids: number[]) => (ids.length ? tok.decode(ids, RAW) : '');
  // A token is read as it appears inside a text: after a plain context token, whose own reading is then cut.
  // Decoded alone, sentencepiece-style tokenizers (Strip or Metaspace decoders) drop the leading space of
  // the text's first token, so ▁the would read "the" instead of " the".
  const context = tok.encode('a', NO_SPECIAL).ids;
  const contextText = decode(context);
  const byteChars = byteLevelChars();
  const utf8 = new TextEncoder();
  const cache = new Map<number, string>();
  const self: TextTokenizer = {
    encode(text) {
      return inVocab(tok.encode(text, NO_SPECIAL).ids);
    },
    decode,
    tokenString(id) {
      let s = cache.get(id);
      if (s === undefined) {
        const spelling = tok.id_to_token(id);
        if (spelling === undefined) return `#${id}`;
        const inText = decode([...context, id]);
        s = inText.startsWith(contextText) ? inText.slice(contextText.length) : decode([id]);
        // Part of a character (one byte of a multi-byte UTF-8 sequence) or an invisible control byte: the
        // vocabulary's own spelling (a byte-fallback token reads <0xE2>, a byte-level one its Ġ-style form).
        if (s === '' || s.includes('\uFFFD') || UNSHOWABLE.test(s)) s = spelling;
        cache.set(id, s);
      }
      return s;
    },
    singleTokenId(text) {
      if (text === '') return null;
      // A token that reads exactly as `text` (as tokenString shows it): its vocabulary spelling is the text
      // itself, with ▁ for spaces (sentencepiece), a byte-fallback token such as <0x0A>, or in byte-level
      // characters (GPT-2 style).
      const bytes = utf8.encode(text);
      const byteFallback = bytes.length === 1 ? `<0x${bytes[0].toString(16).toUpperCase().padStart(2, '0')}>` : text;
      const byteLevel = Array.from(bytes, (b) => byteChars[b]).join('');
      for (const spelling of [text, text.replaceAll(' ', '\u2581'), byteFallback, byteLevel]) {
        const id = tok.token_to_id(spelling);
        if (id !== undefined && id < vocabSize && self.tokenString(id) === text) return id;
      }
      const ids = inVocab(tok.encode(text, NO_SPECIAL).ids);
      return ids.length === 1 ? ids[0] : null;
    },
  };
  return self;
}
