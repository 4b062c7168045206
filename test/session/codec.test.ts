import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, decodeSession, encodeFragment, encodeSession, encodeSessionReadable, fromBase64Url, MAX_FRAGMENT_CHARS, toBase64Url } from '../../src/session/codec';
import { deepEqual, mergeDefaults } from '../../src/session/normalize';
import { defaultSession, Session, type Session as SessionT } from '../../src/session/schema';
import { session as arbSession } from './arbitraries';

const valid = (s: unknown) => Session.safeParse(s).success;

/** A compact fragment of arbitrary JSON text (version tag and checksum right, content anything). */
function fragmentOfText(text: string, version = 2): string {
  const json = new TextEncoder().encode(text);
  const packed = deflateSync(json);
  const out = new Uint8Array(4 + packed.length);
  new DataView(out.buffer).setUint32(0, crc32(json));
  out.set(packed, 4);
  return `s${version}.${toBase64Url(out)}`;
}

describe('base64url', () => {
  it('round-trips any bytes and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = toBase64Url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(fromBase64Url(s)).toEqual(b);
      }),
    );
  });
  it('rejects characters outside the alphabet, bad lengths and non-canonical last characters', () => {
    expect(fromBase64Url('ab+c')).toBeNull();
    expect(fromBase64Url('a')).toBeNull();
    expect(fromBase64Url('ab c')).toBeNull();
    expect(fromBase64Url('AB')).toBeNull(); // 'B' leaves non-zero unused bits
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
    expect(fromBase64Url('é')).toBeNull();
  });
});

describe('encodeSession / decodeSession', () => {
  it('the default session is a short fragment that decodes without notices', () => {
    const f = encodeSession(defaultSession());
    expect(f).toMatch(/^s2\.[A-Za-z0-9_-]+$/);
    expect(f.length).toBeLessThan(24);
    expect(decodeSession(f)).toEqual({ session: defaultSession(), notices: [], status: 'ok' });
    expect(decodeSession(`#${f}`).session).toEqual(defaultSession());
  });

  it('leaves out defaults: a small change gives a small fragment', () => {
    const s = { ...defaultSession(), prompt: 'Der Hund ist ', method: { ...defaultSession().method, steps: 32 } };
    const f = encodeSession(s);
    expect(f.length).toBeLessThan(80);
    expect(decodeSession(f).session).toEqual(s);
  });

  it('round trip: any valid session encodes and decodes to an equal session, without notices', () => {
    fc.assert(
      fc.property(arbSession, (s) => {
        expect(valid(s)).toBe(true);
        const f = encodeSession(s);
        expect(f.length).toBeLessThanOrEqual(MAX_FRAGMENT_CHARS);
        const d = decodeSession(f);
        expect(d.notices).toEqual([]);
        expect(d.status).toBe('ok');
        expect(d.session).toEqual(s);
        expect(deepEqual(d.session, s)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round trip of the readable json= form', () => {
    fc.assert(
      fc.property(arbSession, (s) => {
        const d = decodeSession(encodeSessionReadable(s));
        expect(d.notices).toEqual([]);
        expect(d.session).toEqual(s);
      }),
      { numRuns: 100 },
    );
  });

  it('encoding leaves out fields the format does not know (e.g. UI edit ids) without changing the rest', () => {
    const s = defaultSession();
    const withIds = { ...s, edits: [{ id: 'e1', hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero', positions: [2], enabled: true }] } as unknown as SessionT;
    const d = decodeSession(encodeSession(withIds));
    expect(d.notices).toEqual([]);
    expect(d.session.edits).toEqual([{ hook: 'blocks.0.mlp.hook_post', index: 3, op: 'zero', positions: [2], enabled: true }]);
  });

  it('keeps prompt text as text: markup survives byte for byte and nothing is interpreted', () => {
    const prompt = '<script>alert(1)</script><img src=x onerror="alert(2)"> & \u202e ${x} \n';
    const s = { ...defaultSession(), prompt };
    const d = decodeSession(encodeSession(s));
    expect(d.session.prompt).toBe(prompt);
    expect(d.notices).toEqual([]);
  });
});

describe('decodeSession on bad input: always a valid session, always a notice', () => {
  const safe = (fragment: string) => {
    const d = decodeSession(fragment);
    expect(valid(d.session)).toBe(true);
    return d;
  };

  it('random strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string().map((s) => `s2.${s}`), fc.string().map((s) => `json=${s}`), fc.base64String().map((s) => `s2.${s}`)), (f) => {
        const d = safe(f);
        if (f.replace(/^#/, '').trim() !== '') expect(d.notices.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary JSON (compact and readable) — every value, at the top and inside a session', () => {
    const evil = fc.jsonValue();
    fc.assert(
      fc.property(evil, (j) => {
        const text = JSON.stringify(j) ?? 'null';
        for (const f of [fragmentOfText(text), `json=${encodeURIComponent(text)}`]) {
          const d = safe(f);
          // Only objects whose fields all happen to be valid (e.g. {}) decode without a notice.
          if (d.notices.length === 0) expect(j !== null && typeof j === 'object' && !Array.isArray(j)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('valid sessions with one field replaced by junk: a valid session, and a notice unless the junk was valid', () => {
    const paths = ['model', 'prompt', 'backend', 'target', 'method', 'method.name', 'method.steps', 'method.positions', 'edits', 'edits.0', 'edits.0.hook', 'edits.0.value', 'selected', 'selected.0', 'view', 'view.zoom', 'generation', 'generation.seed', 'v', 'extra'];
    fc.assert(
      fc.property(arbSession, fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), (s, path, junk) => {
        const o = structuredClone(s) as unknown as Record<string, unknown>;
        const keys = path.split('.');
        let holder: Record<string, unknown> = o;
        for (const k of keys.slice(0, -1)) holder = holder?.[k] as Record<string, unknown>;
        if (!holder || typeof holder !== 'object') return;
        holder[keys[keys.length - 1]] = junk;
        const text = JSON.stringify(o);
        const d = safe(fragmentOfText(text));
        // No notice only when the object, read with the defaults-left-out rule, is a valid session as it is.
        // The expectation is read back from the same JSON text the fragment carries (JSON writes -0 as 0).
        if (d.notices.length === 0) {
          const { v: _v, ...fields } = JSON.parse(text) as Record<string, unknown>;
          const { v: _dv, ...defaults } = defaultSession() as unknown as Record<string, unknown>;
          expect(d.session).toEqual(Session.parse({ ...mergeDefaults(defaults, fields), v: 2 }));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('tampered characters of valid fragments', () => {
    fc.assert(
      fc.property(arbSession, fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), (s, at, ch) => {
        const f = encodeSession(s);
        const i = 3 + (at % (f.length - 3));
        fc.pre(f[i] !== ch);
        const d = safe(f.slice(0, i) + ch + f.slice(i + 1));
        // A changed character either breaks the link (notice) or only touched bits that inflate ignores.
        expect(d.notices.length > 0 || deepEqual(d.session, s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('tampered bytes (bit flips) under a correct base64 layer', () => {
    fc.assert(
      fc.property(arbSession, fc.nat(), fc.integer({ min: 0, max: 7 }), (s, at, bit) => {
        const bytes = fromBase64Url(encodeSession(s).slice(3))!;
        bytes[at % bytes.length] ^= 1 << bit;
        const d = safe(`s2.${toBase64Url(bytes)}`);
        expect(d.notices.length > 0 || deepEqual(d.session, s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation of a valid fragment', () => {
    fc.assert(
      fc.property(arbSession, (s) => {
        const f = encodeSession(s);
        for (let n = 1; n < f.length; n++) expect(safe(f.slice(0, n)).notices.length).toBeGreaterThan(0);
      }),
      { numRuns: 30 },
    );
  });

  it('oversized fragments are refused before decoding', () => {
    const d = safe(`s2.${'A'.repeat(MAX_FRAGMENT_CHARS + 10)}`);
    expect(d.notices[0]).toMatch(/too long/);
    expect(safe(`json=${'%20'.repeat(MAX_FRAGMENT_CHARS)}`).notices[0]).toMatch(/too long/);
  });

  it('a deflate bomb stops at the size cap, quickly', () => {
    const big = `{"prompt":"${'a'.repeat(40 * 1024 * 1024)}"}`;
    const f = fragmentOfText(big);
    expect(f.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    const t0 = performance.now();
    const d = safe(f);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d.notices[0]).toMatch(/larger than 1 MB/);
    expect(d.session).toEqual(defaultSession());
  });

  it('a payload full of junk entries costs little and names few problems', () => {
    const text = JSON.stringify({ edits: Array.from({ length: 100_000 }, () => ({})), selected: Array.from({ length: 100_000 }, () => 'x'), method: { steps: 'a', beam: 'b', name: 1 } });
    const f = fragmentOfText(text);
    expect(f.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    const t0 = performance.now();
    const d = safe(f);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d.session.edits).toEqual([]);
    expect(d.session.selected).toEqual([]);
    expect(d.notices.length).toBe(12);
    expect(d.notices[0]).toBe('The session has 100000 edits; only the first 64 were kept.');
    expect(d.notices[11]).toMatch(/^…and \d+ more problems\.$/);
  });

  it('a prompt over the limit is cut, not rejected', () => {
    const d = safe(fragmentOfText(JSON.stringify({ prompt: 'x'.repeat(5000) })));
    expect(d.session.prompt).toBe('x'.repeat(4000));
    expect(d.notices).toEqual(['The prompt is 5000 characters long; it was cut to the first 4000.']);
  });

  it('a wrong checksum is a notice', () => {
    const f = encodeSession({ ...defaultSession(), prompt: 'hello' });
    const bytes = fromBase64Url(f.slice(3))!;
    bytes[0] ^= 0xff;
    expect(safe(`s2.${toBase64Url(bytes)}`).notices[0]).toMatch(/checksum/);
  });

  it('non-UTF-8 and non-JSON payloads', () => {
    const bad = (bytes: Uint8Array) => {
      const packed = deflateSync(bytes);
      const out = new Uint8Array(4 + packed.length);
      new DataView(out.buffer).setUint32(0, crc32(bytes));
      out.set(packed, 4);
      return `s2.${toBase64Url(out)}`;
    };
    expect(safe(bad(new Uint8Array([0xff, 0xfe, 0x7b]))).notices[0]).toMatch(/UTF-8/);
    expect(safe(bad(new TextEncoder().encode('{"prompt": '))).notices[0]).toMatch(/not valid JSON/);
    expect(safe('json=%E0%A4%A').notices[0]).toMatch(/percent/);
    expect(safe('#foo=bar').notices[0]).toMatch(/not a Pathlight session/);
  });

  it('__proto__, constructor and <script>: no pollution, prompt kept as text, notice given', () => {
    const text = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"prompt":"<script>alert(1)</script>","method":{"__proto__":{"steps":999},"steps":7},"edits":[{"__proto__":{"op":"zero"},"hook":"blocks.0.mlp.hook_post","index":1,"op":"scale","value":2,"positions":null,"enabled":true}]}';
    for (const f of [fragmentOfText(text), `json=${encodeURIComponent(text)}`]) {
      const d = safe(f);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(d.session)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(d.session.method)).toBe(Object.prototype);
      expect(d.session.prompt).toBe('<script>alert(1)</script>');
      expect(d.session.method.steps).toBe(7);
      expect(d.session.edits).toEqual([{ hook: 'blocks.0.mlp.hook_post', index: 1, op: 'scale', value: 2, positions: null, enabled: true }]);
      expect(d.notices.join(' ')).toMatch(/__proto__/);
    }
  });
});

describe('field-wise fallback', () => {
  const decodeJson = (o: unknown) => decodeSession(`json=${encodeURIComponent(JSON.stringify(o))}`);

  it('clamps tuning numbers and keeps the other fields', () => {
    const d = decodeJson({ prompt: 'abc', method: { steps: 500, beam: 0, name: 'ig' }, generation: { maxTokens: 1000, temperature: -1, topK: 2.6, seed: 7 }, view: { zoom: 1e9 } });
    expect(d.session.prompt).toBe('abc');
    expect(d.session.method).toEqual({ name: 'ig', steps: 256, beam: 1, positions: 'target', ran: false });
    expect(d.session.generation).toEqual({ maxTokens: 256, temperature: 0, topK: 3, seed: 7 });
    expect(d.session.view.zoom).toBe(50);
    expect(d.notices).toEqual(
      expect.arrayContaining(['The number of steps 500 is outside 1..256; using 256.', 'The beam width 0 is outside 1..16; using 1.', 'The zoom 1000000000 is outside 0.05..50; using 50.']),
    );
    expect(d.status).toBe('repaired');
  });

  it('resets an invalid field to its default and says so', () => {
    const d = decodeJson({ prompt: 'abc', method: { name: 'evil', steps: 8 }, view: { tab: 'console' } });
    expect(d.session.method.name).toBe('path');
    expect(d.session.method.steps).toBe(8);
    expect(d.session.view.tab).toBe('graph');
    expect(d.notices.length).toBe(2);
    expect(d.notices[0]).toMatch(/^The method "evil" is not valid .*using the default "path"\.$/);
  });

  it('refuses non-http model URLs (javascript:, data:, credentials) and uses the default model', () => {
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>x</script>', 'file:///etc/passwd', 'https://user:pw@example.org/m/', 'models/x', 'https://example.org/' + 'a'.repeat(3000)]) {
      const d = decodeJson({ model: { kind: 'url', url } });
      expect(d.session.model).toEqual({ kind: 'bundled', name: 'polyglot' });
      expect(d.notices[0]).toMatch(/^The model is not valid .*using the default model "polyglot"\.$/);
    }
    expect(decodeJson({ model: { kind: 'url', url: 'https://example.org/models/tiny/' } }).notices).toEqual([]);
  });

  it('drops invalid edits and selected nodes one by one, keeping the valid ones', () => {
    const good = { hook: 'blocks.1.mlp.hook_post', index: 5, op: 'zero', positions: [3], enabled: true };
    const d = decodeJson({
      edits: [good, { ...good, hook: 'logits' }, { ...good, op: 'clamp' }, { ...good, op: 'scale', value: 1e12 }, { ...good, op: 'add', value: 1, vector: [1, 2], index: 3 }, 'junk', { ...good, positions: [-1] }],
      selected: ['L1.N5@3', 'L1.X5', '<b>', 'L0.H2'],
    });
    expect(d.session.edits).toEqual([good, { ...good, op: 'scale', value: 1e6 }]);
    expect(d.session.selected).toEqual(['L1.N5@3', 'L0.H2']);
    expect(d.notices.filter((n) => /dropped/.test(n)).length).toBe(7);
    expect(d.notices).toContain('Edit 4 (scale on blocks.1.mlp.hook_post #5): value 1000000000000 is outside ±1000000; using 1000000.');
  });

  it('keeps at most 64 edits', () => {
    const e = { hook: 'blocks.0.mlp.hook_post', index: 1, op: 'zero', positions: null, enabled: true };
    const d = decodeJson({ edits: Array.from({ length: 100 }, () => e) });
    expect(d.session.edits.length).toBe(64);
    expect(d.notices).toEqual(['The session has 100 edits; only the first 64 were kept.']);
  });

  it('an invalid target is left out; a distractor needs logit_diff', () => {
    expect(decodeJson({ target: { token: -3, kind: 'logit' } }).session.target).toBeUndefined();
    const d = decodeJson({ target: { token: 3, kind: 'logit', distractor: 4 } });
    expect(d.session.target).toBeUndefined();
    expect(d.notices[0]).toMatch(/target .*distractor/);
    expect(decodeJson({ target: { token: 3, kind: 'logit_diff', distractor: 4 } }).notices).toEqual([]);
  });

  it('unknown fields are ignored with a notice', () => {
    const d = decodeJson({ prompt: 'a', hack: 1, method: { steps: 3, eval: 'x' } });
    expect(d.session.prompt).toBe('a');
    expect(d.session.method.steps).toBe(3);
    expect([...d.notices].sort()).toEqual(['Ignored unknown field "eval" in method.', 'Ignored unknown field "hack".']);
  });

  it('not an object, unknown and newer versions', () => {
    for (const j of [null, [1, 2], 'x', 3]) {
      const d = decodeJson(j);
      expect(d.session).toEqual(defaultSession());
      expect(d.status).toBe('default');
      expect(d.notices.length).toBe(1);
    }
    expect(decodeJson({ v: 'two', prompt: 'a' }).notices[0]).toMatch(/Unknown session version/);
    const newer = decodeSession(encodeFragment(3, { prompt: 'from the future', hologram: true }));
    expect(newer.session.prompt).toBe('from the future');
    expect(newer.notices[0]).toMatch(/newer version/);
  });

  it('null means "absent": optional fields are removed, required ones fall back to their default', () => {
    const d = decodeJson({ target: null, method: { steps: null } });
    expect(d.session.target).toBeUndefined();
    expect(d.session.method.steps).toBe(20);
    expect(d.notices.length).toBe(1);
  });
});
