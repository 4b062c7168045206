import { useEffect, useMemo, useRef, useState } from 'react';
import type { FaithfulnessMeterResult, MeterNode } from '../analysis/faithfulness-meter';
import { useStore } from '../store/store';
import type { GraphData } from '../views/graph-data';
import { isSuperseded, withProgress } from '../worker/client';
import { getEngine } from './controller';

/** The fast attributions the meter checks, and what each approximates. */
const FAST: Record<string, 'ablation' | 'patching'> = { gxa: 'ablation', ig: 'ablation', patch_atp: 'patching', patch_relp: 'patching' };
const KEY = 'faithfulness';

type MeterState = { kind: 'running'; done: number; total: number } | { kind: 'done'; r: FaithfulnessMeterResult } | { kind: 'cancelled' } | { kind: 'error'; message: string };

/** The nodes the graph shows, as the meter's request lists them. */
export function meterNodes(graph: GraphData): MeterNode[] {
  return graph.nodes.map((n) => ({ hook: n.kind === 'neuron' ? `blocks.${n.layer}.mlp.hook_post` : `blocks.${n.layer}.attn.hook_z`, unit: n.index, position: n.position, score: n.score }));
}

export function meterText(r: FaithfulnessMeterResult): string {
  const ref = r.reference === 'patching' ? 'exact patching' : 'exact zero-ablation';
  return `faithfulness vs ${ref}: r = ${r.pearson === null ? 'undefined (constant scores or effects)' : r.pearson.toFixed(2)}, top-${r.k} overlap ${r.overlap}/${r.k}, over ${r.n} nodes`;
}

/**
 * Beside a fast attribution (AtP, RelP, grad × act, IG) on the graph: how well its scores of the nodes shown predict
 * their exact effects on the current prompt (exact patching with the corrupted prompt, else zero-ablation), computed
 * in the worker in the background and cancellable.
 */
export function FaithfulnessMeter({ graph }: { graph: GraphData }) {
  const attribution = useStore((s) => s.attribution);
  // A restarted engine reloads the model: the meter then asks the new engine.
  const model = useStore((s) => s.model);
  const reference = attribution ? FAST[attribution.method] : undefined;
  const nodes = useMemo(() => meterNodes(graph), [graph]);
  // The graph is rebuilt when edits change; the request only when the nodes or their scores do.
  const signature = useMemo(() => nodes.map((n) => `${n.hook}:${n.unit}@${n.position}=${n.score}`).join(','), [nodes]);
  const [state, setState] = useState<MeterState | null>(null);
  const run = useRef(0);

  const start = async () => {
    const s = useStore.getState();
    const ids = s.tokens?.ids;
    if (!attribution || !reference || !ids) return;
    const mine = ++run.current;
    setState({ kind: 'running', done: 0, total: nodes.length });
    try {
      const corrupted = reference === 'patching' ? (await getEngine().tokenize(s.corrupted)).ids : undefined;
      const { kind, token, distractor, position } = attribution.target;
      const r = await withProgress(
        (done: number, total: number) => mine === run.current && setState({ kind: 'running', done, total }),
        (progress) => getEngine().faithfulnessMeter(KEY, { ids, target: { kind, token, distractor, position }, corrupted, nodes }, progress),
      );
      if (mine === run.current) setState({ kind: 'done', r });
    } catch (e) {
      if (mine !== run.current) return;
      setState(isSuperseded(e) ? { kind: 'cancelled' } : { kind: 'error', message: (e as Error).message });
    }
  };
  const cancel = () => {
    run.current++;
    setState({ kind: 'cancelled' });
    void getEngine().cancel(KEY);
  };

  useEffect(() => {
    if (!reference) return;
    void start();
    return () => {
      run.current++;
      void getEngine().cancel(KEY);
    };
  }, [attribution, reference, signature, model]);

  if (!reference || !state) return null;
  return (
    <p className="path-summary" data-testid="faithfulness-meter" data-state={state.kind} data-r={state.kind === 'done' ? String(state.r.pearson) : undefined} title="How well the fast scores of the nodes shown predict their exact effects on this prompt: Pearson r, and how many of the 10 largest |scores| are among the 10 largest exact effects">
      {state.kind === 'running' && (
        <>
          faithfulness vs exact {reference}: computing {state.done}/{state.total}{' '}
          <button data-testid="faithfulness-cancel" onClick={cancel}>
            cancel
          </button>
        </>
      )}
      {state.kind === 'done' && meterText(state.r)}
      {(state.kind === 'cancelled' || state.kind === 'error') && (
        <>
          faithfulness vs exact {reference}: {state.kind === 'cancelled' ? 'cancelled' : state.message}{' '}
          <button data-testid="faithfulness-run" onClick={() => void start()}>
            compute
          </button>
        </>
      )}
    </p>
  );
}
