import type { PathNode, PathResult } from '../analysis/path';

const short = (n: PathNode) => `L${n.hook.split('.')[1]}.N${n.index}`;
const fmt = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));

/**
 * What a path search found, with every number it computed: each step's search score (labelled for what it is),
 * the exact effect of removing the path up to that step, the baselines beside it, and the result's warnings.
 */
export function PathSummary({ path }: { path: PathResult }) {
  const kind = path.scoreKind === 'exact_removal' ? 'exact removal effect' : 'layer-scaled joint IG (a ranking score, not an effect)';
  const baselines: Array<[string, PathNode[] | undefined, string]> = [
    ['activation', path.baselines.activation, 'the most active neuron of each layer'],
    ['per-layer IG', path.baselines.layer_ig, "each layer's largest integrated gradient, the layer scaled alone"],
    ['grad × act', path.baselines.gxa, "each layer's largest gradient × activation"],
    ['random', path.baselines.random, 'a random neuron per layer'],
  ];
  const last = path.path[path.path.length - 1];
  return (
    <details className="path-summary" data-testid="path-summary">
      {/* One line by default (the graph, card and edits stay in view); the step table on a click. */}
      <summary>
        Path: {path.path.map(short).join(' → ')} · removing it changes the target by {fmt(last?.removal)} (of {path.targetValue.toFixed(3)})
        {path.warnings?.length ? ` · ${path.warnings.length} warning${path.warnings.length > 1 ? 's' : ''}` : ''} — steps and baselines
      </summary>
      <table className="path-steps">
        <caption>
          Path for target value {path.targetValue.toFixed(3)}
          <span className="muted"> · score: {kind}</span>
        </caption>
        <thead>
          <tr>
            <th>layer</th>
            <th>NeuronPath</th>
            <th title={kind}>score</th>
            <th title="F(x) − F(the path up to this layer zeroed): the exact change of the target">removal</th>
            {baselines.map(([name, , why]) => (
              <th key={name} title={why}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {path.path.map((n, l) => (
            <tr key={l} data-testid="path-step">
              <td>{l}</td>
              <td>{short(n)}</td>
              <td>{fmt(n.score)}</td>
              <td data-testid="path-removal">{fmt(n.removal)}</td>
              {baselines.map(([name, nodes]) => (
                <td key={name} className="muted">
                  {nodes?.[l] ? short(nodes[l]) : '—'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {path.warnings?.map((w, i) => (
        <p key={i} className="warning" data-testid="path-warning">
          {w}
        </p>
      ))}
    </details>
  );
}
