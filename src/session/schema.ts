/**
 * The session format: everything needed to reopen a piece of work — the model, the prompt, the target, the
 * method and its parameters, the edits, the selected nodes, the view and the generation settings.
 *
 * Versioned. `SessionV2` is the current format; `SessionV1` is the older, flatter one that `migrate.ts`
 * upgrades. The defaults of a version are frozen: links leave out every value equal to its default, so
 * changing a default changes what old links mean and needs a new version with a migration.
 * docs/sessions.md documents the fields, the limits and the versions.
 */
import { z } from 'zod';
import { parseHubRef, revisionProblem } from '../engine/hub';
import { parseNodeId } from '../engine/nodeid';
import type { Edit } from '../engine/types';
import { ANALYSIS_METHODS } from '../analysis/methods';
import { BACKEND_CHOICES } from '../engine/backend-names';
import { EDIT_OPS, LOGIT_TARGET_KINDS } from '../engine/types';

export const CURRENT_VERSION = 2;

/** Limits of the format. Numbers outside a clampable range are clamped on decode; other bad values are dropped. */
export const LIMITS = {
  promptChars: 4000,
  edits: 64,
  selected: 64,
  vectorLength: 8192,
  editPositions: 1024,
  labelChars: 200,
  nameChars: 256,
  urlChars: 2048,
  /** Largest layer, head or unit index, position and token id accepted. */
  maxLayer: 1023,
  maxUnit: 9_999_999,
  maxPosition: 65_535,
  maxToken: 16_777_215,
  editValue: 1e6,
} as const;

/** Numeric fields clamped into range on decode (path with `*` for list indices). */
export const NUMERIC_RANGES: Record<string, { min: number; max: number; int: boolean }> = {
  'method.steps': { min: 1, max: 256, int: true },
  'method.beam': { min: 1, max: 16, int: true },
  'generation.maxTokens': { min: 1, max: 256, int: true },
  'generation.temperature': { min: 0, max: 5, int: false },
  'generation.topK': { min: 0, max: 1000, int: true },
  'generation.seed': { min: 0, max: 2 ** 32 - 1, int: true },
  'view.zoom': { min: 0.05, max: 50, int: false },
  'view.x': { min: -1e6, max: 1e6, int: false },
  'view.y': { min: -1e6, max: 1e6, int: false },
  'view.nodeThreshold': { min: 0.05, max: 1, int: false },
  'view.edgeThreshold': { min: 0.05, max: 1, int: false },
  'edits.*.value': { min: -LIMITS.editValue, max: LIMITS.editValue, int: false },
};

function ranged(key: string) {
  const r = NUMERIC_RANGES[key];
  return (r.int ? z.int() : z.number()).min(r.min).max(r.max);
}

/** Hooks an edit may target: any block hook, the embeddings and the final layer norm (never `logits`). */
export const EDIT_HOOK_RE = /^(blocks\.(?:0|[1-9]\d*)\.[a-z0-9_.]+|hook_embed|hook_pos_embed|ln_final\.hook_normalized)$/;

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** `owner/name` as the hub allows it (no revision, no `hf:` prefix). */
export function isHubRepoName(s: string): boolean {
  if (s.includes('@') || s.startsWith('hf:')) return false;
  try {
    parseHubRef(s);
    return true;
  } catch {
    return false;
  }
}

export function isNodeId(s: string): boolean {
  try {
    parseNodeId(s);
    return true;
  } catch {
    return false;
  }
}

const index = (max: number) => z.int().min(0).max(max);

// ---------------------------------------------------------------------------------------------------- v2

export const LocalFingerprint = z.strictObject({
  /** Shown to the user ("open the files of NAME"); never used to match. */
  name: z.string().max(LIMITS.nameChars),
  /** Size of the safetensors file in bytes. */
  size: z.int().min(0),
  /** SHA-256 (lowercase hex) of config.json, the safetensors header and samples of the weights (local-files.ts). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
});
export type LocalFingerprint = z.infer<typeof LocalFingerprint>;

export const SessionModel = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bundled'), name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'not a bundled model name') }),
  z.strictObject({ kind: z.literal('url'), url: z.string().max(LIMITS.urlChars).refine(isHttpUrl, 'must be an http:// or https:// address without a user name') }),
  z.strictObject({ kind: z.literal('local'), fingerprint: LocalFingerprint }),
  /** A Hugging Face model (`owner/name` at a branch, tag or commit), fetched from the hub or the endpoint in `?hfEndpoint=`. */
  z.strictObject({
    kind: z.literal('hub'),
    name: z.string().max(LIMITS.nameChars).refine(isHubRepoName, 'not a hub model name (owner/name)'),
    revision: z.string().max(128).refine((r) => revisionProblem(r) === null, 'not a branch, tag or commit hash'),
  }),
]);
export type SessionModel = z.infer<typeof SessionModel>;

/**
 * A vision model's image: a bundled example by its id (public/models/NAME/examples/index.json), or the user's own
 * file by the SHA-256 of its bytes (asked for again on opening, as local model files are). The image itself never
 * goes into a session. Optional: absent for text models and in every link made before it existed.
 */
export const SessionImage = z.union([
  z.strictObject({ example: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'not an example image id') }),
  z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'), name: z.string().max(LIMITS.nameChars).optional() }),
]);
export type SessionImage = z.infer<typeof SessionImage>;

export const BACKENDS = BACKEND_CHOICES;

export const SessionTarget = z
  .strictObject({
    token: index(LIMITS.maxToken),
    kind: z.enum(LOGIT_TARGET_KINDS),
    distractor: index(LIMITS.maxToken).optional(),
    /** Position whose next token is read; absent = the last. */
    position: index(LIMITS.maxPosition).optional(),
  })
  .refine((t) => (t.kind === 'logit_diff') === (t.distractor !== undefined), { message: 'a distractor goes with kind logit_diff, and only with it', path: ['distractor'] });
export type SessionTarget = z.infer<typeof SessionTarget>;

export const METHOD_NAMES = ANALYSIS_METHODS;
export type MethodName = (typeof METHOD_NAMES)[number];

export const SessionMethod = z.strictObject({
  name: z.enum(METHOD_NAMES),
  steps: ranged('method.steps'),
  beam: ranged('method.beam'),
  /** Where nodes are attributed: the target position, every position, or one position (analysis PositionSpec). */
  positions: z.union([z.literal('target'), z.literal('all'), index(LIMITS.maxPosition)]),
  /** Only this layer (attribution methods). */
  layer: index(LIMITS.maxLayer).optional(),
  /** The method had been run when the session was made: opening it runs it again (same inputs, same numbers). */
  ran: z.boolean(),
});
export type SessionMethod = z.infer<typeof SessionMethod>;

const finite = z.number();

export const SessionEdit = z
  .strictObject({
    hook: z.string().max(64).regex(EDIT_HOOK_RE, 'not an editable hook'),
    index: index(LIMITS.maxUnit).nullable(),
    op: z.enum(EDIT_OPS),
    value: ranged('edits.*.value').optional(),
    vector: z.array(finite).min(1).max(LIMITS.vectorLength).optional(),
    positions: z.array(index(LIMITS.maxPosition)).max(LIMITS.editPositions).nullable(),
    enabled: z.boolean(),
    label: z.string().max(LIMITS.labelChars).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.op === 'clamp' || e.op === 'scale' || e.op === 'add') && e.value === undefined) ctx.addIssue({ code: 'custom', message: `${e.op} needs a value`, path: ['value'] });
    if (e.vector !== undefined && e.op !== 'add') ctx.addIssue({ code: 'custom', message: 'a vector goes only with add', path: ['vector'] });
    if (e.vector !== undefined && e.index !== null) ctx.addIssue({ code: 'custom', message: 'a vector edit applies to the whole hook (index must be null)', path: ['index'] });
  });
export type SessionEdit = z.infer<typeof SessionEdit>;

/** The workbench's view tabs (the app and the store use this list). */
export const VIEW_TABS = ['graph', 'circuit', 'heatmap', 'attention', 'dla', 'lens'] as const;
export type ViewTab = (typeof VIEW_TABS)[number];

export const SessionView = z.strictObject({
  tab: z.enum(VIEW_TABS),
  /** Layer and head shown by the heatmap and attention views. */
  layer: index(LIMITS.maxLayer),
  head: index(LIMITS.maxLayer),
  /** Path graph zoom and pan. */
  zoom: ranged('view.zoom').optional(),
  x: ranged('view.x').optional(),
  y: ranged('view.y').optional(),
  /** The attribution graph (tab `circuit`) was on screen: opening the session builds it again (same inputs, same graph). */
  circuit: z.boolean().optional(),
  /** The attribution graph's pruning thresholds; absent = VIEW_GRAPH_DEFAULTS. */
  nodeThreshold: ranged('view.nodeThreshold').optional(),
  edgeThreshold: ranged('view.edgeThreshold').optional(),
});
export type SessionView = z.infer<typeof SessionView>;

/** What an absent `view.nodeThreshold` / `view.edgeThreshold` means (frozen for v2, like every default). */
export const VIEW_GRAPH_DEFAULTS = { nodeThreshold: 0.8, edgeThreshold: 0.98 } as const;

export const SessionGeneration = z.strictObject({
  maxTokens: ranged('generation.maxTokens'),
  /** 0 = greedy. */
  temperature: ranged('generation.temperature'),
  /** 0 = no top-k cut. */
  topK: ranged('generation.topK'),
  seed: ranged('generation.seed'),
});
export type SessionGeneration = z.infer<typeof SessionGeneration>;

export const SessionV2 = z.strictObject({
  v: z.literal(2),
  model: SessionModel,
  backend: z.enum(BACKENDS).optional(),
  prompt: z.string().max(LIMITS.promptChars),
  /** The corrupted prompt of a clean/corrupted pair (patching methods). */
  corrupted: z.string().max(LIMITS.promptChars).optional(),
  /** Vision models: the image (an example's id or the user's file's SHA-256). */
  image: SessionImage.optional(),
  target: SessionTarget.optional(),
  method: SessionMethod,
  edits: z.array(SessionEdit).max(LIMITS.edits),
  selected: z.array(z.string().max(32).refine(isNodeId, 'not a node id (e.g. L2.N417@11)')).max(LIMITS.selected),
  view: SessionView,
  generation: SessionGeneration,
});
export type Session = z.infer<typeof SessionV2>;
/** The current format. */
export const Session = SessionV2;

/**
 * The defaults of v2 (frozen: see the file comment). Optional fields are absent by default, and the encoder
 * relies on that: no default sets an optional field.
 */
export function defaultSession(): Session {
  return {
    v: 2,
    model: { kind: 'bundled', name: 'polyglot' },
    prompt: '',
    method: { name: 'path', steps: 20, beam: 1, positions: 'target', ran: false },
    edits: [],
    selected: [],
    view: { tab: 'graph', layer: 0, head: 0 },
    generation: { maxTokens: 40, temperature: 0, topK: 0, seed: 1 },
  };
}

/** A short label for lists: the bundled name, `hf:owner/name@rev`, the URL's host and path, or the local files' name. */
export function modelLabel(m: SessionModel): string {
  if (m.kind === 'bundled') return m.name;
  if (m.kind === 'local') return `${m.fingerprint.name} (local files)`;
  if (m.kind === 'hub') return `hf:${m.name}@${m.revision}`;
  try {
    const u = new URL(m.url);
    return `${u.host}${u.pathname}`.replace(/\/$/, '');
  } catch {
    return m.url;
  }
}

/** The engine edit of a session edit. */
export function toEngineEdit(e: SessionEdit): Edit {
  const out: Edit = { hook: e.hook, index: e.index, op: e.op, positions: e.positions === null ? null : [...e.positions] };
  if (e.value !== undefined) out.value = e.value;
  if (e.vector !== undefined) out.vector = [...e.vector];
  return out;
}

// ---------------------------------------------------------------------------------------------------- v1

/**
 * The older, flat format (links made before sessions were versioned objects): the model is a bundled name or
 * `modelUrl`, the target and distractor are bare token ids, the method fields sit at the top, `positions`
 * says `last` for the target position, edits carry `off` instead of `enabled`, one node is selected and the
 * generation settings are top-level. Kept to read old links; nothing writes it.
 */
export const SessionV1 = z.object({
  v: z.literal(1),
  model: z.string(),
  modelUrl: z.string().optional(),
  backend: z.string().optional(),
  prompt: z.string(),
  target: z.int().optional(),
  distractor: z.int().optional(),
  method: z.enum(METHOD_NAMES),
  steps: z.int(),
  beam: z.int(),
  positions: z.union([z.literal('last'), z.literal('all'), z.int()]),
  layer: z.int().optional(),
  edits: z.array(
    z.object({
      hook: z.string(),
      index: z.int().nullable(),
      op: z.enum(EDIT_OPS),
      value: z.number().optional(),
      positions: z.array(z.int()).nullable(),
      off: z.boolean().optional(),
    }),
  ),
  selected: z.string().optional(),
  tab: z.enum(VIEW_TABS).optional(),
  maxTokens: z.int(),
  temperature: z.number(),
  topK: z.int(),
  seed: z.int(),
});
export type SessionV1 = z.infer<typeof SessionV1>;

/** The frozen defaults of v1 (its links left these out too). */
export function defaultSessionV1(): SessionV1 {
  return { v: 1, model: 'polyglot', prompt: '', method: 'path', steps: 20, beam: 1, positions: 'last', edits: [], maxTokens: 40, temperature: 0, topK: 0, seed: 1 };
}
