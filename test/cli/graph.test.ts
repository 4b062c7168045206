/** `pathlight graph`: the attribution graph as JSON, in Pathlight's form and as a circuit-tracer graph file. */
import { describe, expect, it } from 'vitest';
import { circuitTracerGraphSchema } from '../../src/analysis/circuit-tracer-schema';
import { cli } from './run-cli';

describe('pathlight graph', () => {
  it('prints the graph: nodes, edges, settings and definitions', () => {
    const r = cli(['graph', '--model', 'induction', '--text', 'abcdefghabcd', '--target', 'e', '--max-nodes', '20', '--node-threshold', '0.9']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ model: 'induction', nLayer: 2, tokenStrings: [...'abcdefghabcd'], target: { kind: 'logit', token: 4, position: 11, tokenString: 'e' } });
    expect(r.json.settings).toMatchObject({ nodeThreshold: 0.9, edgeThreshold: 0.98, maxNodes: 20, attention: 'ov+qk' });
    expect(r.json.definitions).toMatch(/frozen/);
    const ids = new Set(r.json.nodes.map((n: { id: string }) => n.id));
    expect(ids.has('logit@11')).toBe(true);
    expect(r.json.nodes.filter((n: { kind: string }) => n.kind !== 'embedding' && n.kind !== 'logit').length).toBeLessThanOrEqual(20);
    for (const e of r.json.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
    // The induction circuit at the last position: the previous-token head at 4 (after the earlier "d") feeds a layer-1 head at 11.
    expect(r.json.edges.some((e: { source: string; target: string }) => e.source === 'L0.H0@4' && /^L1\.H\d@11$/.test(e.target))).toBe(true);
  });

  it('--format circuit-tracer prints a file that validates against the schema', () => {
    const r = cli(['graph', '--model', 'gpt2-tiny', '--ids', '3,77,200,12,12,150', '--target', '#7', '--distractor', '#40', '--format', 'circuit-tracer', '--slug', 'my-graph', '--attention', 'ov']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = circuitTracerGraphSchema.safeParse(r.json);
    expect(v.success, v.success ? '' : JSON.stringify(v.error.issues.slice(0, 3))).toBe(true);
    expect(r.json.metadata).toMatchObject({ slug: 'my-graph', scan: 'gpt2-tiny', schema_version: 1 });
    expect(r.json.metadata.generation_settings).toMatchObject({ attention: 'ov', target: { kind: 'logit_diff', token: 7, distractor: 40 } });
    expect(Object.keys(r.json).sort()).toEqual(['links', 'metadata', 'nodes', 'qParams']);
  });

  it('refuses bad flags in one line', () => {
    for (const args of [
      ['--format', 'svg'],
      ['--node-threshold', '2'],
      ['--slug', 'x'],
      ['--metric', 'logit_diff'],
    ]) {
      const r = cli(['graph', '--model', 'gpt2-tiny', '--ids', '1,2,3', '--target', '#7', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
