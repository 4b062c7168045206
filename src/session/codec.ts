/**
 * Sessions in URL fragments. Compact form: `s{version}.` + base64url(CRC-32 ‖ deflate-raw(JSON of the fields
 * that differ from the version's defaults)). Readable form (hand-written links, tests): `json=` + percent-encoded
 * JSON, defaults likewise optional. Decoding never throws: whatever goes wrong, it returns a valid session and
 * says what happened in `notices`.
 */
import { deflateSync, Inflate } from 'fflate';
import { diffFromDefaults, normalizeSession, type Normalized, type Obj } from './normalize';
import { CURRENT_VERSION, defaultSession, defaultSessionV1, type Session } from './schema';

/** Longest fragment decoded (characters). */
export const MAX_FRAGMENT_CHARS = 64 * 1024;
/** Largest decompressed JSON (bytes): a deflate bomb stops here. */
export const MAX_JSON_BYTES = 1024 * 1024;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) out += B64[bytes[i] >> 2] + B64[(bytes[i] & 3) << 4];
  else if (rest === 2) {
    const n = (bytes[i] << 8) | bytes[i + 1];
    out += B64[n >> 10] + B64[(n >> 4) & 63] + B64[(n & 15) << 2];
  }
  return out;
}

/**
 * Strict base64url decoding (trailing `=` tolerated): null on any character outside the alphabet, a bad
 * length, or non-zero unused bits in the last character — so each byte string has exactly one text form and
 * any changed character changes the bytes.
 */
export function fromBase64Url(s: string): Uint8Array | null {
  const t = s.replace(/=+$/, '');
  if (t.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((t.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as in zip and PNG. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Inflates raw deflate data, refusing output beyond `maxBytes`; null on corrupt or oversized data. */
export function inflateCapped(data: Uint8Array, maxBytes: number): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let over = false;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) over = true;
    else chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // Small input slices bound how far one push can overshoot the cap (deflate expands at most ~1032×).
    const STEP = 512;
    for (let i = 0; i < data.length && !over; i += STEP) inf.push(data.subarray(i, Math.min(data.length, i + STEP)), i + STEP >= data.length);
    if (data.length === 0) inf.push(new Uint8Array(0), true);
  } catch {
    return null;
  }
  if (over || !ended) return null;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * The compact fragment of a JSON object of a given version (no leading `#`): `s{version}.` + base64url of
 * the CRC-32 of the JSON bytes (4 bytes, big-endian) followed by the raw-deflated JSON. Raw deflate has no
 * checksum of its own; the CRC makes a damaged or edited link fail loudly instead of opening as something else.
 */
export function encodeFragment(version: number, fields: Obj): string {
  const json = new TextEncoder().encode(JSON.stringify(fields));
  const packed = deflateSync(json, { level: 9 });
  const out = new Uint8Array(4 + packed.length);
  new DataView(out.buffer).setUint32(0, crc32(json));
  out.set(packed, 4);
  return `s${version}.${toBase64Url(out)}`;
}

/**
 * The fragment text of a session (no leading `#`). The session is normalized first, so fields the format
 * does not know (e.g. a UI edit's id) are left out and out-of-range numbers clamped; for a valid session
 * `decodeSession(encodeSession(s)).session` deep-equals `s`.
 */
export function encodeSession(s: Session): string {
  return encodeNormalizedSession(normalizeSession(s).session);
}

/** A session's fragment with what its normalization changed or left out (the notices a link reports). */
export function encodeWithNotices(s: Session): { fragment: string; notices: string[] } {
  const n = normalizeSession(s);
  return { fragment: encodeNormalizedSession(n.session), notices: n.notices };
}

/** encodeSession of a session normalizeSession has just returned (one normalization per write, not two). */
export function encodeNormalizedSession(session: Session): string {
  const { v: _v, ...fields } = session as unknown as Obj;
  const { v: _dv, ...defaults } = defaultSession() as unknown as Obj;
  return encodeFragment(CURRENT_VERSION, diffFromDefaults(fields, defaults));
}

/** The readable `json=` form of a session (defaults left out). */
export function encodeSessionReadable(s: Session): string {
  const { session } = normalizeSession(s);
  const diff = diffFromDefaults(session as unknown as Obj, defaultSession() as unknown as Obj);
  return `json=${encodeURIComponent(JSON.stringify({ v: CURRENT_VERSION, ...diff }))}`;
}

/** The defaults of v1 links, for tests and tools that write old-format links. */
export function encodeV1Fields(fields: Obj): string {
  const { v: _v, ...defaults } = defaultSessionV1() as unknown as Obj;
  const { v: _fv, ...rest } = fields;
  return encodeFragment(1, diffFromDefaults(rest, defaults));
}

export interface Decoded extends Normalized {}

function fallback(notice: string): Decoded {
  return { session: defaultSession(), notices: [notice], status: 'default' };
}

/** True when a fragment looks like a session link (compact or readable), so other fragments can be left alone. */
export function isSessionFragment(fragment: string): boolean {
  const f = fragment.replace(/^#/, '').trim();
  return /^s\d{1,4}\./.test(f) || f.startsWith('json=');
}

/**
 * Reads a fragment (with or without the leading `#`). Never throws; an empty fragment gives the defaults
 * without notices. Sizes are capped before any work: the fragment at MAX_FRAGMENT_CHARS, the decompressed
 * JSON at MAX_JSON_BYTES.
 */
export function decodeSession(fragment: string): Decoded {
  try {
    if (typeof fragment !== 'string') return fallback('The session link is not text; the defaults are used.');
    if (fragment.length > MAX_FRAGMENT_CHARS) {
      return fallback(`The session link is too long (${Math.round(fragment.length / 1024)} KB; at most ${MAX_FRAGMENT_CHARS / 1024} KB are read); the defaults are used.`);
    }
    const f = fragment.replace(/^#/, '').trim();
    if (f === '') return { session: defaultSession(), notices: [], status: 'ok' };
    let text: string;
    let version: number | undefined;
    const m = /^s(\d{1,4})\.(.*)$/s.exec(f);
    if (m) {
      version = Number(m[1]);
      const bytes = fromBase64Url(m[2]);
      if (!bytes || bytes.length < 5) return fallback('The session link is damaged (it is not valid base64url; was it cut or edited?); the defaults are used.');
      const json = inflateCapped(bytes.subarray(4), MAX_JSON_BYTES);
      if (!json) return fallback(`The session link is damaged (its compressed data is corrupt, cut short or larger than ${MAX_JSON_BYTES / 1024 / 1024} MB unpacked); the defaults are used.`);
      if (crc32(json) !== new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)) return fallback('The session link is damaged (its checksum does not match; was it cut or edited?); the defaults are used.');
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(json);
      } catch {
        return fallback('The session link is damaged (its text is not UTF-8); the defaults are used.');
      }
    } else if (f.startsWith('json=')) {
      try {
        text = decodeURIComponent(f.slice(5));
      } catch {
        return fallback('The session link is damaged (bad percent-encoding); the defaults are used.');
      }
      if (text.length > MAX_JSON_BYTES) return fallback('The session link is too large; the defaults are used.');
    } else {
      return fallback('The link\u2019s fragment is not a Pathlight session; the defaults are used.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fallback('The session link is damaged (its data is not valid JSON); the defaults are used.');
    }
    if (version === undefined && parsed && typeof parsed === 'object' && !('v' in parsed)) version = CURRENT_VERSION;
    return normalizeSession(parsed, version === undefined ? {} : { version });
  } catch (e) {
    return fallback(`The session link could not be read (${e instanceof Error ? e.message : String(e)}); the defaults are used.`);
  }
}
