/** fast-check generators of valid sessions (v2 and v1), shared by the session tests. */
import fc from 'fast-check';
import { isHttpUrl, LIMITS, METHOD_NAMES, NUMERIC_RANGES, VIEW_TABS, type Session, type SessionEdit, type SessionV1 } from '../../src/session/schema';

/** Finite doubles without -0 (JSON writes -0 as 0; the format does not keep the sign of zero). */
const double = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const ranged = (key: string) => {
  const r = NUMERIC_RANGES[key];
  return r.int ? fc.integer({ min: r.min, max: r.max }) : double(r.min, r.max);
};
const idx = (max: number) => fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max }));

/** Text of every kind: ASCII, any Unicode including lone surrogates, and markup-looking strings. */
export const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '${1+1}', '\u0000\u202e', '=SUM(A1)'),
  );

const layerN = fc.integer({ min: 0, max: 47 });
const nodeId = fc
  .record({ kind: fc.constantFrom('N', 'H'), layer: layerN, index: fc.integer({ min: 0, max: 9_999_999 }), pos: fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }) })
  .map((n) => `L${n.layer}.${n.kind}${n.index}${n.pos === undefined ? '' : `@${n.pos}`}`);

const hook = fc.oneof(
  fc.constantFrom('hook_embed', 'hook_pos_embed', 'ln_final.hook_normalized'),
  fc.tuple(layerN, fc.constantFrom('mlp.hook_post', 'mlp.hook_pre', 'attn.hook_z', 'attn.hook_pattern', 'hook_resid_post', 'ln2.hook_normalized')).map(([l, h]) => `blocks.${l}.${h}`),
);

const positions = fc.option(fc.array(idx(LIMITS.maxPosition), { maxLength: 8 }), { nil: null });
const label = fc.option(text(LIMITS.labelChars), { nil: undefined });

export const sessionEdit: fc.Arbitrary<SessionEdit> = fc.oneof(
  fc.record({ hook, index: fc.option(idx(LIMITS.maxUnit), { nil: null }), op: fc.constantFrom('zero' as const, 'mean' as const), positions, enabled: fc.boolean(), label }, { requiredKeys: ['hook', 'index', 'op', 'positions', 'enabled'] }),
  fc.record({ hook, index: fc.option(idx(LIMITS.maxUnit), { nil: null }), op: fc.constantFrom('clamp' as const, 'scale' as const, 'add' as const), value: ranged('edits.*.value'), positions, enabled: fc.boolean(), label }, { requiredKeys: ['hook', 'index', 'op', 'value', 'positions', 'enabled'] }),
  fc.record({ hook, index: fc.constant(null), op: fc.constant('add' as const), value: ranged('edits.*.value'), vector: fc.array(double(-1e30, 1e30), { minLength: 1, maxLength: 64 }), positions, enabled: fc.boolean(), label }, { requiredKeys: ['hook', 'index', 'op', 'value', 'vector', 'positions', 'enabled'] }),
);

const sha = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));

export const sessionModel: fc.Arbitrary<Session['model']> = fc.oneof(
  fc.record({ kind: fc.constant('bundled' as const), name: fc.oneof(fc.constantFrom('polyglot', 'induction', 'gpt2-tiny'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/)) }),
  fc.record({ kind: fc.constant('url' as const), url: fc.webUrl({ withQueryParameters: true, withFragments: true }).filter((u) => u.length <= LIMITS.urlChars && isHttpUrl(u)) }),
  fc.record({ kind: fc.constant('local' as const), fingerprint: fc.record({ name: text(40), size: fc.nat({ max: Number.MAX_SAFE_INTEGER }), sha256: sha }) }),
  fc.record({
    kind: fc.constant('hub' as const),
    name: fc.oneof(fc.constantFrom('openai-community/gpt2', 'EleutherAI/pythia-70m', 'Qwen/Qwen2.5-0.5B'), fc.tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_]{0,12}$/), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_]{0,12}$/)).map(([o, n]) => `${o}/${n}`)),
    revision: fc.oneof(fc.constantFrom('main', 'v1.0', 'refs/pr/1'), sha.map((h) => h.slice(0, 40))),
  }),
);

const target: fc.Arbitrary<NonNullable<Session['target']>> = fc.oneof(
  fc.record({ token: idx(LIMITS.maxToken), kind: fc.constantFrom('logit' as const, 'logprob' as const), position: idx(LIMITS.maxPosition) }, { requiredKeys: ['token', 'kind'] }),
  fc.record({ token: idx(LIMITS.maxToken), kind: fc.constant('logit_diff' as const), distractor: idx(LIMITS.maxToken), position: idx(LIMITS.maxPosition) }, { requiredKeys: ['token', 'kind', 'distractor'] }),
);

export const session: fc.Arbitrary<Session> = fc.record(
  {
    v: fc.constant(2 as const),
    model: sessionModel,
    backend: fc.constantFrom('auto' as const, 'webgpu' as const, 'webgl' as const, 'wasm' as const, 'cpu' as const),
    prompt: text(LIMITS.promptChars),
    target,
    method: fc.record(
      {
        name: fc.constantFrom(...METHOD_NAMES),
        steps: ranged('method.steps'),
        beam: ranged('method.beam'),
        positions: fc.oneof(fc.constantFrom('target' as const, 'all' as const), idx(LIMITS.maxPosition)),
        layer: idx(LIMITS.maxLayer),
        ran: fc.boolean(),
      },
      { requiredKeys: ['name', 'steps', 'beam', 'positions', 'ran'] },
    ),
    edits: fc.array(sessionEdit, { maxLength: 6 }),
    selected: fc.array(nodeId, { maxLength: 6 }),
    view: fc.record(
      { tab: fc.constantFrom(...VIEW_TABS), layer: idx(LIMITS.maxLayer), head: idx(LIMITS.maxLayer), zoom: ranged('view.zoom'), x: ranged('view.x'), y: ranged('view.y'), circuit: fc.constant(true), nodeThreshold: ranged('view.nodeThreshold'), edgeThreshold: ranged('view.edgeThreshold') },
      { requiredKeys: ['tab', 'layer', 'head'] },
    ),
    generation: fc.record({ maxTokens: ranged('generation.maxTokens'), temperature: ranged('generation.temperature'), topK: ranged('generation.topK'), seed: ranged('generation.seed') }),
  },
  { requiredKeys: ['v', 'model', 'prompt', 'method', 'edits', 'selected', 'view', 'generation'] },
);

/** Valid v1 sessions (the older flat format). */
export const sessionV1: fc.Arbitrary<SessionV1> = fc.record(
  {
    v: fc.constant(1 as const),
    model: fc.constantFrom('polyglot', 'induction', 'gpt2-tiny'),
    modelUrl: fc.constantFrom('https://example.org/models/x/', 'http://localhost:8000/m/'),
    backend: fc.constantFrom('webgpu', 'wasm', 'cpu'),
    prompt: text(200),
    target: idx(50_000),
    distractor: idx(50_000),
    method: fc.constantFrom(...METHOD_NAMES),
    steps: ranged('method.steps'),
    beam: ranged('method.beam'),
    positions: fc.oneof(fc.constantFrom('last' as const, 'all' as const), idx(1000)),
    layer: idx(40),
    edits: fc.array(
      fc.record(
        { hook, index: fc.option(idx(3000), { nil: null }), op: fc.constantFrom('clamp' as const, 'scale' as const, 'add' as const), value: ranged('edits.*.value'), positions, off: fc.boolean() },
        { requiredKeys: ['hook', 'index', 'op', 'value', 'positions'] },
      ),
      { maxLength: 4 },
    ),
    selected: nodeId,
    tab: fc.constantFrom(...VIEW_TABS),
    maxTokens: ranged('generation.maxTokens'),
    temperature: ranged('generation.temperature'),
    topK: ranged('generation.topK'),
    seed: ranged('generation.seed'),
  },
  { requiredKeys: ['v', 'model', 'prompt', 'method', 'steps', 'beam', 'positions', 'edits', 'maxTokens', 'temperature', 'topK', 'seed'] },
);
