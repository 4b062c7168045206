import { describe, expect, it } from 'vitest';
import { cli } from './run-cli';

/** `pathlight classpaths` on digits-vit with one or two held-out digits per class: the printed matrix and overlaps against its printed paths. */
describe('pathlight classpaths', () => {
  it('JSON: per-image paths at every token, the class × neuron counts and overlaps recomputed from them; CSV: the same matrix', () => {
    const r = cli(['classpaths', '--model', 'digits-vit', '--per-class', '2', '--steps', '4', '--resamples', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = r.json;
    expect(j.images).toBe(20);
    expect(j.positions.length).toBe(17);
    const paths: Array<{ id: string; label: number; paths: { neuronpath: string[] } }> = j.paths;
    expect(paths.map((p) => p.label)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    // The held-out digits: the last 150 of each class, so ids are LABEL-INDEX with a large index.
    for (const p of paths) expect(p.id).toMatch(new RegExp(`^${p.label}-\\d{3,}$`));
    const m = j.matrix;
    m.classes.forEach((c: number, ci: number) => {
      m.neurons.forEach((id: string, k: number) => expect(m.counts[ci][k]).toBe(paths.filter((p) => p.label === c && p.paths.neuronpath.includes(id)).length));
      expect(m.counts[ci].reduce((a: number, x: number) => a + x, 0)).toBe(2 * 4);
    });
    let w = 0;
    let b = 0;
    for (let x = 0; x < paths.length; x++)
      for (let y = x + 1; y < paths.length; y++) {
        const s = paths[x].paths.neuronpath.filter((n) => paths[y].paths.neuronpath.includes(n)).length / 4;
        if (paths[x].label === paths[y].label) w += s / 10;
        else b += s / 180;
      }
    expect(j.overlap.neuronpath.within).toBeCloseTo(w, 10);
    expect(j.overlap.neuronpath.between).toBeCloseTo(b, 10);
    expect(j.top_neurons[0].top[0][1]).toBeGreaterThanOrEqual(0.5);
    const csv = cli(['classpaths', '--model', 'digits-vit', '--per-class', '2', '--steps', '4', '--resamples', '10', '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe(['class', 'images', ...m.neurons].join(','));
    expect(lines.slice(1)).toEqual(m.classes.map((c: number, i: number) => [c, 2, ...m.counts[i]].join(',')));
  }, 120_000);

  it('--faithfulness --positions cls: one row per image, paths at [CLS], the summary over the 10 images', () => {
    const r = cli(['classpaths', '--model', 'digits-vit', '--per-class', '1', '--steps', '4', '--positions', 'cls', '--faithfulness', '--random-paths', '2', '--resamples', '50']);
    expect(r.stderr).toBe('');
    const j = r.json;
    expect(j.positions).toEqual([0]);
    expect(j.paths[0].paths.neuronpath[0]).toMatch(/^L0\.N\d+@0$/);
    expect(j.faithfulness.rows.length).toBe(10);
    expect(j.faithfulness.rows.map((x: { token: number }) => x.token)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(j.faithfulness.rows.map((x: { paths: { neuronpath: string[] } }) => x.paths.neuronpath)).toEqual(j.paths.map((p: { paths: { neuronpath: string[] } }) => p.paths.neuronpath));
    const s = j.faithfulness.summary.find((x: { method: string; manipulation: string }) => x.method === 'neuronpath' && x.manipulation === 'remove');
    expect(s.n).toBe(10);
    expect(s.mean).toBeCloseTo(j.faithfulness.rows.reduce((a: number, x: { delta: { neuronpath: { remove: number } } }) => a + x.delta.neuronpath.remove, 0) / 10, 10);
  }, 120_000);

  it('bad flags and models are refused with what is wrong', () => {
    const bad = (args: string[], message: RegExp) => {
      const r = cli(['classpaths', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    };
    bad(['--model', 'digits-vit', '--positions', 'last'], /--positions: "last" is not all or cls/);
    bad(['--model', 'digits-vit', '--per-class', '200'], /--per-class: 200 is above the maximum 150/);
    bad(['--model', 'digits-vit', '--per-class', '100', '--offset', '60'], /--offset 60 \+ --per-class 100 exceeds the 150 held-out digits per class/);
    bad(['--model', 'digits-vit', '--format', 'csv', '--faithfulness'], /--format csv prints the class × neuron matrix only/);
    bad(['--model', 'digits-vit', '--random-paths', '3'], /--random-paths is only used with --faithfulness/);
    bad(['--model', 'gpt2-tiny'], /needs the digits image classifier \(digits-vit\); this gpt2 model reads text/);
    bad(['--model', 'test/fixtures/vit-tiny'], /the model must take 1×28×28 images and have 10 classes \(it takes 3×32×32, 10 classes\)/);
  }, 60_000);
});
