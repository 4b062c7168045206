import { useEffect, useState } from 'react';
import { useStore } from '../store/store';
import type { HeatmapData } from '../views/heatmap';
import { HeatmapView } from '../views/HeatmapView';
import { visibleToken } from '../views/tokens';
import { getEngine } from './controller';

/** A head's card beside the graph: its attention pattern on the prompt (query rows, key columns). */
export function HeadPattern({ layer, head }: { layer: number; head: number }) {
  const ids = useStore((s) => s.tokens?.ids);
  const tokens = useStore((s) => s.tokens?.tokens);
  const [data, setData] = useState<HeatmapData | null>(null);
  useEffect(() => {
    if (!ids || !tokens || ids.length === 0) return;
    let live = true;
    const hook = `blocks.${layer}.attn.hook_pattern`;
    getEngine()
      .run('head-card', { inputIds: [ids], capture: [hook], logits: 'none' })
      .then((r) => {
        if (!live) return;
        const T = ids.length;
        const p = r.activations[hook].data;
        const labels = tokens.map(visibleToken);
        setData({ rows: labels, cols: labels, values: p.slice(head * T * T, (head + 1) * T * T), diverging: false, title: `L${layer}.H${head}: attention from each token (row) to earlier ones (columns)` });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ids, tokens, layer, head]);
  return data ? <HeatmapView data={data} testId="head-card-pattern" /> : <p className="muted">computing the pattern…</p>;
}
