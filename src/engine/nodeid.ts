import { fail } from './errors';
import type { HookName } from './types';

/**
 * A node of the path graph: one MLP neuron (`blocks.L.mlp.hook_post`, unit N) or one attention head
 * (`blocks.L.attn.hook_z`, head H), at one token position or at every position.
 * Text form, the one used in URLs, the store, the DOM (`data-node-id`) and the CLI:
 *   `L{layer}.N{index}@{pos}`  e.g. `L2.N417@11`   (neuron)
 *   `L{layer}.H{head}@{pos}`   e.g. `L0.H3@5`      (head)
 * `@{pos}` is left out for "every position" (e.g. `L2.N417`).
 */
export interface NodeRef {
  kind: 'neuron' | 'head';
  layer: number;
  index: number;
  /** Token position, or null for every position. */
  position: number | null;
}

export type NodeId = string;

const NODE_RE = /^L(\d{1,4})\.([NH])(\d{1,7})(?:@(\d{1,6}))?$/;

export function formatNodeId(n: NodeRef): NodeId {
  return `L${n.layer}.${n.kind === 'neuron' ? 'N' : 'H'}${n.index}${n.position === null ? '' : `@${n.position}`}`;
}

export function parseNodeId(id: string): NodeRef {
  const m = NODE_RE.exec(id);
  if (!m) fail(`"${id}" is not a node id (expected e.g. L2.N417@11 for a neuron or L0.H3@5 for a head)`);
  return { kind: m[2] === 'N' ? 'neuron' : 'head', layer: Number(m[1]), index: Number(m[3]), position: m[4] === undefined ? null : Number(m[4]) };
}

/** The hook a node lives on. */
export function nodeHook(n: NodeRef): HookName {
  return n.kind === 'neuron' ? `blocks.${n.layer}.mlp.hook_post` : `blocks.${n.layer}.attn.hook_z`;
}

/** The node for a hook index, when the hook is one that nodes live on. */
export function nodeFromHook(hook: HookName, index: number, position: number | null): NodeRef | null {
  const m = /^blocks\.(\d+)\.(mlp\.hook_post|attn\.hook_z)$/.exec(hook);
  if (!m) return null;
  return { kind: m[2] === 'mlp.hook_post' ? 'neuron' : 'head', layer: Number(m[1]), index, position };
}
