import { useMemo } from 'react';
import { CLASS_PATH_METHODS, type ClassPathMethod } from '../analysis/class-path-stats';
import { useImage } from '../store/image';
import { useStore } from '../store/store';
import { CLASS_METHOD_LABELS, classMatrixData, overlapRows } from '../views/class-matrix-data';
import { ClassMatrixView } from '../views/ClassMatrixView';
import { cancelClassPaths, examplesPerClass, runClassPaths } from './class-paths-actions';
import { clickNode } from './selection-actions';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

/**
 * Vision models: the class-level analysis of the bundled examples. Each image's path for its own label (NeuronPath
 * and the baselines), the class × neuron matrix of how often each unit is on a class's paths (click a cell to
 * select that neuron), and whether images of one class share path neurons more than images of different classes.
 */
export function ClassPathsPanel() {
  const examples = useImage((s) => s.examples);
  const r = useImage((s) => s.classPaths);
  const method = useImage((s) => s.classMethod);
  const perClassSet = useImage((s) => s.classPerClass);
  const steps = useImage((s) => s.classSteps);
  const positions = useImage((s) => s.classPositions);
  const running = useImage((s) => s.classRunning);
  const progress = useImage((s) => s.classProgress);
  const error = useImage((s) => s.classError);
  const set = useImage((s) => s.set);
  const selected = useStore((s) => s.selected);
  const max = examplesPerClass(examples);
  const perClass = Math.min(max, perClassSet ?? max);
  const data = useMemo(() => (r ? classMatrixData(r, method, selected) : null), [r, method, selected]);
  const rows = useMemo(() => (r ? overlapRows(r) : []), [r]);
  const correct = r ? r.images.filter((i) => i.predicted === i.label).length : 0;
  return (
    <div className="panel" data-testid="class-paths-panel">
      <h2>
        Classes <span className="muted">the path of each example image for its own label, by class</span>
      </h2>
      <div className="controls">
        <label title="the first N example images of each class">
          images per class{' '}
          <input type="number" data-testid="class-per-class" min={1} max={Math.max(1, max)} value={perClass} disabled={max === 0} onChange={(e) => set({ classPerClass: Math.max(1, Math.min(max, Math.round(Number(e.target.value)) || max)) })} />
          <span className="muted"> of {max}</span>
        </label>
        <label title="integrated-gradient steps of each path search">
          steps <input type="number" data-testid="class-steps" min={1} max={256} value={steps} onChange={(e) => set({ classSteps: Math.max(1, Math.min(256, Math.round(Number(e.target.value)) || 20)) })} />
        </label>
        <label title="where the path neurons sit and are scaled">
          at{' '}
          <select data-testid="class-positions" value={positions} onChange={(e) => set({ classPositions: e.target.value === 'cls' ? 'cls' : 'all' })}>
            <option value="all">every token</option>
            <option value="cls">[CLS] only</option>
          </select>
        </label>
        <button data-testid="class-run" onClick={() => void runClassPaths()} disabled={running || max === 0}>
          Run
        </button>
        {running && (
          <>
            <progress data-testid="class-progress" value={progress?.done ?? 0} max={progress?.total || 1} />
            <span className="muted">{progress ? `${progress.done} of ${progress.total} images` : 'reading the images…'}</span>
            <button data-testid="class-cancel" onClick={() => void cancelClassPaths()}>
              Cancel
            </button>
          </>
        )}
      </div>
      {max === 0 && <p className="muted">This model has no bundled example images to analyse.</p>}
      {error && (
        <div className="error inline" data-testid="class-error">
          {error}
        </div>
      )}
      {r && data && (
        <div className="class-paths">
          <div className="class-matrix-wrap">
            <ClassMatrixView data={data} onCell={(c, _row, additive) => clickNode(c.node, additive)} />
            <p className="muted legend">
              Rows: classes (images analysed); columns: the neurons on some {CLASS_METHOD_LABELS[method]} path, by layer; colour: the share of the class’s images whose path holds
              the neuron (hover for the count). Click a cell to select that neuron.
            </p>
          </div>
          <div className="class-overlap" data-testid="class-overlap">
            <label>
              paths{' '}
              <select data-testid="class-method" value={method} onChange={(e) => set({ classMethod: e.target.value as ClassPathMethod })}>
                {CLASS_PATH_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {CLASS_METHOD_LABELS[m]}
                  </option>
                ))}
              </select>
            </label>
            <table className="overlap-table">
              <caption>Overlap of two images’ paths (share of layers with the same neuron)</caption>
              <thead>
                <tr>
                  <th>paths</th>
                  <th>within class</th>
                  <th>between classes</th>
                  <th>within − between [95% CI]</th>
                  <th>p</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((o) => (
                  <tr key={o.method} data-testid={`class-overlap-${o.method}`} className={o.method === method ? 'selected' : ''} onClick={() => set({ classMethod: o.method })}>
                    <td>{o.label}</td>
                    <td>{f3(o.within)}</td>
                    <td>{f3(o.between)}</td>
                    <td>
                      {f3(o.diff)} [{f3(o.ci95[0])}, {f3(o.ci95[1])}]
                    </td>
                    <td>{o.pText}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted" data-testid="class-summary">
              {r.images.length} images ({correct} classified as their label), paths at {r.positions.length === 1 ? '[CLS]' : 'every token'}, {r.steps} IG steps. Interval: bootstrap of the images
              within their class ({r.resamples} resamples); p: one-sided permutation test of the labels ({r.resamples} permutations).
            </p>
          </div>
        </div>
      )}
    </div>
  );
}
