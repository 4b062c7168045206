import { Tokenizer } from '@huggingface/tokenizers';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { charTokenizerJson } from '../../src/engine/char-tokenizer';
import { loadTokenizer } from '../../src/engine/tokenizer';
import { bytesToUnicode } from '../../src/train/byte-bpe';
import { INDUCTION_CHARS } from '../../src/train/induction-data';
import { charEncoder, POLYGLOT_LANGS } from '../../src/train/text-data';

const opts = { add_special_tokens: false };
const dec = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
const chars: string[] = JSON.parse(readFileSync('data/polyglot/chars.json', 'utf8'));

describe('character tokenizer (polyglot)', () => {
  const json = charTokenizerJson(chars);
  const tok = new Tokenizer(json, {});
  const enc = charEncoder(chars);

  it('round-trips held-out text in every language, one token per character, same ids as the trainer', () => {
    for (const l of POLYGLOT_LANGS) {
      const text = [...readFileSync(`data/polyglot/${l}.val.txt`, 'utf8')].slice(0, 3000).join('');
      const ids = tok.encode(text, opts).ids;
      expect(ids).toEqual(Array.from(enc(text)));
      expect(tok.decode(ids, dec)).toBe(text);
    }
  });

  it('keeps accented letters and inverted punctuation as single tokens', () => {
    const text = 'Grüße, Fräulein Müller! ¿Qué pasó, señor? ¡Olé! Più caffè? Ça va.';
    const ids = tok.encode('Grüße ¿Qué? ¡Olé! señor', opts).ids;
    expect(ids.length).toBe([...'Grüße ¿Qué? ¡Olé! señor'].length);
    expect(tok.decode(ids, dec)).toBe('Grüße ¿Qué? ¡Olé! señor');
    for (const c of 'äöüßÄÖÜáéíóúñ¿¡') expect(chars, c).toContain(c);
    // Characters outside the vocabulary become the unknown token, one per character.
    const out = tok.encode(text, opts).ids;
    expect(out.length).toBe([...text].length);
    const unk = chars.length;
    expect(out.filter((i) => i === unk).length).toBe([...text].filter((c) => !chars.includes(c)).length);
    expect(tok.decode(out, dec).replace(/\u2047/g, '?')).toBe([...text].map((c) => (chars.includes(c) ? c : '?')).join(''));
  });

  it('loads through the engine with the model vocabulary size', () => {
    const t = loadTokenizer(json, chars.length + 1);
    expect(t.decode(t.encode('Das ist schön.\nMuy bien.'))).toBe('Das ist schön.\nMuy bien.');
    expect(t.singleTokenId('ß')).toBe(chars.indexOf('ß'));
  });

  it('the bundled polyglot and induction tokenizers are these tokenizers', () => {
    if (existsSync('public/models/polyglot/tokenizer.json')) {
      expect(JSON.parse(readFileSync('public/models/polyglot/tokenizer.json', 'utf8'))).toEqual(charTokenizerJson(chars));
    }
    if (existsSync('public/models/induction/tokenizer.json')) {
      expect(JSON.parse(readFileSync('public/models/induction/tokenizer.json', 'utf8'))).toEqual(charTokenizerJson(INDUCTION_CHARS));
    }
  });
});

describe('byte-level BPE tokenizer (gpt2-tiny)', () => {
  const json = JSON.parse(readFileSync('public/models/gpt2-tiny/tokenizer.json', 'utf8'));
  const tok = new Tokenizer(json, {});

  it('has exactly 512 tokens: the 256 bytes in byte order, then 256 merges', () => {
    const vocab: Record<string, number> = json.model.vocab;
    expect(Object.keys(vocab).length).toBe(512);
    expect(new Set(Object.values(vocab)).size).toBe(512);
    expect(Math.max(...Object.values(vocab))).toBe(511);
    bytesToUnicode().forEach((c, b) => expect(vocab[c]).toBe(b));
    expect(json.model.merges.length).toBe(256);
    const config = JSON.parse(readFileSync('public/models/gpt2-tiny/config.json', 'utf8'));
    expect(config.vocab_size).toBe(512);
  });

  it('round-trips any text (bytes for anything unseen) with ids below 512', () => {
    for (const text of ['The quick brown fox jumps over the lazy dog.', 'Grüße aus München, ¿qué tal?', '日本語 🙂 tabs\tand\nnewlines  ']) {
      const ids = tok.encode(text, opts).ids;
      for (const i of ids) expect(i).toBeLessThan(512);
      expect(tok.decode(ids, dec)).toBe(text);
    }
    // Merges learned on English: common words are short.
    expect(tok.encode(' the', opts).ids.length).toBe(1);
    const t = loadTokenizer(json, 512);
    expect(t.tokenString(tok.encode(' the', opts).ids[0])).toBe(' the');
  });
});
