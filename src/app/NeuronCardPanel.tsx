import { useState } from 'react';
import { parseNodeId, nodeHook } from '../engine/nodeid';
import { useStore, type State } from '../store/store';
import { divergingFill } from '../views/colours';
import { getEngine } from './controller';
import { HeadPattern } from './HeadCard';
import { useReferenceText } from './reference-actions';
import { useImage } from '../store/image';
import { VisionCard, VisionHeads, visionEditPositions } from './VisionCard';

const show = (t: string) => JSON.stringify(t).slice(1, -1);

function Strip({ tokens, values, at }: { tokens: string[]; values: ArrayLike<number>; at?: number }) {
  let max = 1e-9;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return (
    <div className="strip">
      {tokens.map((t, i) => {
        const v = values[i] ?? 0;
        const a = Math.min(1, Math.abs(v) / max);
        const bg = divergingFill(v, max);
        return (
          <span key={i} style={{ background: bg, color: a > 0.6 ? 'white' : undefined, outline: i === at ? '2px solid #f59e0b' : undefined }} title={`${i}: ${v.toFixed(3)}`}>
            {show(t)}
          </span>
        );
      })}
    </div>
  );
}

export function NeuronCardPanel() {
  const selected = useStore((s) => s.selected);
  const card = useStore((s) => s.card);
  const loading = useStore((s) => s.cardLoading);
  const tokens = useStore((s) => s.tokens);
  const addEdit = useStore((s) => s.addEdit);
  const [clamp, setClamp] = useState(0);
  const [scale, setScale] = useState(-1);
  const [alpha, setAlpha] = useState(4);
  const [allPositions, setAllPositions] = useState(false);
  const corpus = useStore((s) => s.reference);
  const vision = useStore((s) => !!s.model?.config.vision);
  const editAt = useImage((s) => s.editAt);
  if (!selected) return null;
  let node;
  try {
    node = parseNodeId(selected);
  } catch {
    return null;
  }
  const hook = nodeHook(node);
  // On an image the card's own chooser says where (the node's token, every token, [CLS] or a clicked patch).
  const at = vision ? visionEditPositions(editAt, node.position) : null;
  const positions = at ? at.positions : allPositions || node.position === null ? null : [node.position];
  const where = at ? at.where : positions ? `@${node.position}` : '@all';
  const edit = (op: 'zero' | 'mean' | 'clamp' | 'scale', value?: number) =>
    addEdit({ hook, index: node.index, op, value, positions }, `${selected.split('@')[0]}${where} ${op}${value !== undefined ? ` ${value}` : ''}`);
  return (
    <div className="panel" data-testid="neuron-card">
      <h2>
        {selected} <span className="muted">{hook}</span>
      </h2>
      {vision && <VisionCard node={selected} nodePosition={node.position} />}
      {!vision && (
        <div className="controls">
          <label>
            <input type="checkbox" checked={allPositions} onChange={(e) => setAllPositions(e.target.checked)} /> edit at every position
          </label>
        </div>
      )}
      <div className="controls">
        <button data-testid="ablate-zero" onClick={() => edit('zero')}>Ablate (zero)</button>
        <button
          data-testid="ablate-mean"
          onClick={() => edit('mean')}
          disabled={node.kind === 'head' || !corpus}
          title={node.kind === 'head' ? 'mean ablation is for neurons' : corpus ? `set to its mean over ${corpus.name}` : 'needs a reference text (this model has none): give one below'}
        >
          Ablate (mean)
        </button>
        <label>
          clamp <input type="range" min={-5} max={10} step={0.1} value={clamp} onChange={(e) => setClamp(Number(e.target.value))} /> {clamp.toFixed(1)}
        </label>
        <button data-testid="clamp" onClick={() => edit('clamp', clamp)}>Clamp</button>
        <label>
          scale <input type="range" min={-3} max={5} step={0.1} value={scale} onChange={(e) => setScale(Number(e.target.value))} /> ×{scale.toFixed(1)}
        </label>
        <button data-testid="scale" onClick={() => edit('scale', scale)}>Scale</button>
        <button data-testid="flip" onClick={() => edit('scale', -1)}>Sign flip</button>
        {node.kind === 'neuron' && card && (
          <>
            <label>
              steer α <input type="number" step={0.5} value={alpha} onChange={(e) => setAlpha(Number(e.target.value))} style={{ width: 56 }} />
            </label>
            <button
              data-testid="steer"
              title="add α × (this neuron's output direction) to the residual stream after its block"
              onClick={() => void steer(node.layer, node.index, alpha, positions)}
            >
              Steer
            </button>
          </>
        )}
      </div>
      {node.kind === 'head' && (vision ? <VisionHeads layer={node.layer} head={node.index} /> : <HeadPattern layer={node.layer} head={node.index} />)}
      {node.kind === 'neuron' && <ReferenceText corpus={corpus} />}
      {loading && <p className="muted">computing the card…</p>}
      {card && tokens && (
        <>
          <h3>Activation on each prompt token</h3>
          <Strip tokens={card.promptTokens} values={card.acts} at={node.position ?? undefined} />
          <div className="cols">
            <div>
              <h3>Promotes</h3>
              <ol className="vocab">{card.promoted.map((p, i) => <li key={p.id}>{show(card.promotedTokens[i])} <span className="muted">{p.value.toFixed(2)}</span></li>)}</ol>
            </div>
            <div>
              <h3>Suppresses</h3>
              <ol className="vocab">{card.suppressed.map((p, i) => <li key={p.id}>{show(card.suppressedTokens[i])} <span className="muted">{p.value.toFixed(2)}</span></li>)}</ol>
            </div>
            <div>
              <h3>Activation histogram</h3>
              <Histogram counts={card.histogram.counts} lo={card.histogram.lo} hi={card.histogram.hi} />
              <p className="muted">mean {card.mean.toFixed(3)}, mean when active {card.meanActive.toFixed(3)}</p>
            </div>
          </div>
          <h3>Top-activating contexts</h3>
          <p className="muted" data-testid="card-source">
            {card.source.kind === 'reference'
              ? `From ${card.source.name}: ${card.source.windows} windows, ${card.source.tokens} tokens (contexts, histogram and means).`
              : `This model has no reference text: the contexts and histogram below are from the prompt alone (${card.source.tokens} tokens). Give a reference text for more.`}
          </p>
          {card.contexts.map((c, i) => (
            <div key={i} className="context">
              <span className="muted">{c.value.toFixed(2)}</span> <Strip tokens={card.contextTokens[i]} values={c.values} at={c.at} />
            </div>
          ))}
        </>
      )}
    </div>
  );
}

function Histogram({ counts, lo, hi }: { counts: number[]; lo: number; hi: number }) {
  const max = Math.max(1, ...counts);
  const W = 180;
  const H = 60;
  const bw = W / counts.length;
  return (
    <svg width={W} height={H + 14} className="histogram">
      {counts.map((c, i) => (
        <rect key={i} x={i * bw} y={H - (H * c) / max} width={bw - 1} height={(H * c) / max} fill="#4a7bd0">
          <title>{`${(lo + ((hi - lo) * i) / counts.length).toFixed(2)}…: ${c}`}</title>
        </rect>
      ))}
      <text x={0} y={H + 12} fontSize={10}>{lo.toFixed(1)}</text>
      <text x={W} y={H + 12} fontSize={10} textAnchor="end">{hi.toFixed(1)}</text>
    </svg>
  );
}

async function steer(layer: number, index: number, alpha: number, positions: number[] | null) {
  const dir = await getEngine().neuronDirection(layer, index);
  useStore.getState().addEdit({ hook: `blocks.${layer}.hook_resid_post`, index: null, op: 'add', value: alpha, vector: Array.from(dir), positions }, `steer +${alpha}·dir(L${layer}.N${index}) @resid_post`);
}

/**
 * A reference text for the cards and mean ablation: pasted or read from a .txt / .jsonl file, processed in the worker
 * by the one policy of src/analysis/means.ts, and kept in this browser for this model (reference-actions.ts).
 */
function ReferenceText({ corpus }: { corpus: State['reference'] }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const notify = useStore((s) => s.notify);
  const use = async (t: string, name: string) => {
    setBusy(true);
    try {
      await useReferenceText(t, name);
    } catch (e) {
      notify(`The reference text was not used: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="reference" data-testid="reference-text">
      <summary data-testid="reference-summary" title={corpus ? `${corpus.tokens} tokens; ${corpus.rule}` : undefined}>
        {corpus ? `reference text: ${corpus.name} (${corpus.windows} windows of up to ${corpus.windowTokens} tokens)${corpus.kept ? ', kept in this browser for this model' : ''}` : 'no reference text — give one'}
      </summary>
      <textarea value={text} onChange={(e) => setText(e.target.value)} placeholder="paste text the model should be read on" rows={3} />
      <div className="controls">
        <button disabled={busy || text.trim() === ''} onClick={() => void use(text, 'pasted text')} data-testid="reference-use">
          use this text
        </button>
        <input
          type="file"
          accept=".txt,.jsonl,text/plain"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            const raw = await f.text();
            // .jsonl: the "text" field of each line.
            const body = /\.jsonl$/i.test(f.name) ? raw.split('\n').filter(Boolean).map((l) => { try { return String(JSON.parse(l).text ?? ''); } catch { return ''; } }).join('\n') : raw;
            await use(body, f.name);
          }}
        />
      </div>
    </details>
  );
}
