/**
 * GPT-2 byte-level BPE: the byte ↔ printable-character table, a small merge learner, and the
 * tokenizer.json object (Hugging Face format). Pure TS, no fs.
 */
import { byteLevelTokenizer } from '../engine/tokenizer-files';

/** GPT-2's bytes_to_unicode: every byte gets a printable character (space → Ġ, newline → Ċ, …). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

/** GPT-2's pre-tokenisation pattern (as used by the ByteLevel pre-tokenizer). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Learns `nMerges` merges over the byte-level words of `text`: repeatedly merges the most frequent adjacent
 * pair (ties: the lexicographically smallest pair). Returns merges as [left, right] token strings.
 */
export function learnByteLevelMerges(text: string, nMerges: number): Array<[string, string]> {
  const table = bytesToUnicode();
  const enc = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const m of text.matchAll(GPT2_PATTERN)) {
    const w = Array.from(enc.encode(m[0]), (b) => table[b]).join('\u0001');
    wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const words = [...wordCounts.entries()].map(([w, c]) => ({ syms: w.split('\u0001'), count: c }));
  const merges: Array<[string, string]> = [];
  while (merges.length < nMerges) {
    const pairs = new Map<string, number>();
    for (const { syms, count } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + '\u0001' + syms[i + 1];
        pairs.set(k, (pairs.get(k) ?? 0) + count);
      }
    }
    let best: string | null = null;
    let bestN = 0;
    for (const [k, c] of pairs) if (c > bestN || (c === bestN && best !== null && k < best)) (best = k), (bestN = c);
    if (best === null) break;
    const [a, b] = best.split('\u0001');
    const ab = a + b;
    merges.push([a, b]);
    for (const w of words) {
      const s = w.syms;
      if (s.length < 2) continue;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(ab);
          i++;
        } else out.push(s[i]);
      }
      w.syms = out;
    }
  }
  return merges;
}

/** A byte-level BPE tokenizer.json object: ids 0–255 are the bytes (in byte order), then one id per merge. */
export function byteLevelBpeJson(merges: Array<[string, string]>): Record<string, unknown> {
  const table = bytesToUnicode();
  const vocab: Record<string, number> = {};
  table.forEach((c, b) => (vocab[c] = b));
  for (const [a, b] of merges) {
    const t = a + b;
    if (vocab[t] !== undefined) throw new Error(`duplicate token ${t}`);
    vocab[t] = Object.keys(vocab).length;
  }
  return byteLevelTokenizer(vocab, merges);
}
