/**
 * Builds public/models/gpt2-tiny/tokenizer.json: a GPT-2 style byte-level BPE tokenizer with exactly 512
 * tokens (the 256 byte tokens plus 256 merges learned on English fortune text), for the gpt2-tiny fixture
 * model whose vocabulary is 512.
 *   npx tsx scripts/data/make-byte-tokenizer.ts [--vocab 512] [--text data/polyglot/en.train.txt] [--out FILE]
 * Deterministic: ties between equally frequent pairs go to the pair that sorts first.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelBpeJson, learnByteLevelMerges } from '../../src/train/byte-bpe';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const vocabSize = Number(arg('--vocab', '512'));
const textPath = arg('--text', 'data/polyglot/en.train.txt');
const out = arg('--out', 'public/models/gpt2-tiny/tokenizer.json');

const text = readFileSync(textPath, 'utf8');
const t0 = performance.now();
const merges = learnByteLevelMerges(text, vocabSize - 256);
const json = byteLevelBpeJson(merges);
console.error(`learned ${merges.length} merges from ${text.length} characters in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Check before writing: the file loads in @huggingface/tokenizers, has exactly `vocabSize` tokens and round-trips.
const tok = new Tokenizer(json, {});
const n = Object.keys((json.model as { vocab: object }).vocab).length;
if (n !== vocabSize) throw new Error(`vocabulary has ${n} tokens, wanted ${vocabSize}`);
for (const s of ['Hello, world! The quick brown fox.', 'Grüße aus München — ¿qué tal? perché 日本', 'tabs\tand\n\nnewlines  ']) {
  const ids = tok.encode(s, { add_special_tokens: false }).ids;
  const back = tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (back !== s) throw new Error(`round trip failed: ${JSON.stringify(s)} → ${JSON.stringify(back)}`);
  if (ids.some((i) => i < 0 || i >= vocabSize)) throw new Error('token id out of range');
}
const sample = text.slice(0, 20_000);
const nTok = tok.encode(sample, { add_special_tokens: false }).ids.length;
console.error(`${(sample.length / nTok).toFixed(2)} characters per token on the first 20k characters`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(json));
console.error(`wrote ${out}`);
