import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FaithfulnessResult } from '../../src/analysis/faithfulness';
import type { PathNode, PathResult } from '../../src/analysis/path';
import { attributionCsv, attributionJson, attributionRows, csvCell, faithfulnessCsv, faithfulnessJson, faithfulnessPairedCsv, faithfulnessSummaryCsv, pathCsv, pathEdgesCsv, pathJson, safeFileName, serializeSvg, styleDiff, toCsv, type NodeLike } from '../../src/app/export';

/** A minimal RFC 4180 parser, to check that what toCsv writes reads back as the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('CSV', () => {
  it('escapes commas, quotes, newlines and surrounding spaces', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\r')).toBe('"cr\r"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(-0.125)).toBe('-0.125');
    expect(csvCell(1e-30)).toBe('1e-30');
    expect(csvCell(NaN)).toBe('NaN');
    expect(csvCell(-Infinity)).toBe('-Infinity');
    expect(csvCell(true)).toBe('true');
  });

  it('neutralises spreadsheet formulas in text cells (not in numbers)', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell(-1)).toBe('-1');
  });

  it('any table of text and numbers reads back cell for cell', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.double({ noNaN: true })), { minLength: 2, maxLength: 5 }), { maxLength: 6 }), (rows) => {
        const width = 5;
        const table = rows.map((r) => [...r, ...Array(width - r.length).fill('x')]);
        const back = parseCsv(toCsv(['a', 'b', 'c', 'd', 'e'], table));
        expect(back[0]).toEqual(['a', 'b', 'c', 'd', 'e']);
        back.slice(1).forEach((r, i) =>
          r.forEach((cell, j) => {
            const v = table[i][j];
            if (typeof v === 'number') expect(Number(cell)).toBe(Object.is(v, -0) ? 0 : v);
            else expect(cell).toBe(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
          }),
        );
      }),
    );
  });
});

describe('attribution export', () => {
  const scores = {
    'blocks.0.mlp.hook_post': { shape: [3, 2], data: new Float32Array([0, 0, 0.5, -1.25, 0, 0]) },
    'blocks.1.attn.hook_z': { shape: [3, 2], data: new Float32Array([0, 0, 0, 0, 2, 0]) },
  };

  it('rows hook, layer, position, index, node_id, score; unscored positions left out', () => {
    expect(attributionRows(scores)).toEqual([
      ['blocks.0.mlp.hook_post', 0, 1, 0, 'L0.N0@1', 0.5],
      ['blocks.0.mlp.hook_post', 0, 1, 1, 'L0.N1@1', -1.25],
      ['blocks.1.attn.hook_z', 1, 2, 0, 'L1.H0@2', 2],
      ['blocks.1.attn.hook_z', 1, 2, 1, 'L1.H1@2', 0],
    ]);
    expect(attributionRows(scores, { skipZeroPositions: false }).length).toBe(12);
    const csv = attributionCsv({ scores });
    expect(csv.split('\r\n')[0]).toBe('hook,layer,position,index,node_id,score');
    expect(csv.split('\r\n')[1]).toBe('blocks.0.mlp.hook_post,0,1,0,L0.N0@1,0.5');
  });

  it('JSON turns typed arrays into arrays', () => {
    const j = JSON.parse(attributionJson({ target: { kind: 'logit', token: 3, position: 2 }, method: 'gxa', targetValue: 1.5, scores }));
    expect(j.kind).toBe('pathlight-attribution');
    expect(j.scores['blocks.0.mlp.hook_post'].data).toEqual([0, 0, 0.5, -1.25, 0, 0]);
  });
});

describe('path export', () => {
  const node = (layer: number, index: number, score: number): PathNode => ({ hook: `blocks.${layer}.mlp.hook_post`, index, position: 4, score, node: `L${layer}.N${index}@4` });
  // Only the fields the exporters read (PathResult grows; the exporters take what they need).
  const result = {
    target: { kind: 'logit', token: 9, position: 4 },
    positions: [4],
    targetValue: 3,
    path: [node(0, 5, 1), node(1, 7, 2)],
    beams: [
      [node(0, 5, 1), node(1, 7, 2)],
      [node(0, 6, 0.9), node(1, 7, 1.8)],
    ],
    runners_up: [[node(0, 1, 0.5)], [node(1, 2, 0.4), node(1, 3, 0.3)]],
    edges: [{ from: 'L0.N5@4', to: 'L1.N7@4', weight: -0.25 }],
    baselines: { activation: [node(0, 9, 4)], layer_ig: [node(0, 5, 1)], random: [node(1, 100, 0)] },
    layerScores: [new Float32Array([1, 2]), new Float32Array([3, 4])],
    layerIg: [new Float32Array([5, 6]), new Float32Array([7, 8])],
  } satisfies Partial<PathResult>;

  it('CSV rows for the path, other beams, runners-up and baselines', () => {
    const rows = parseCsv(pathCsv(result));
    expect(rows[0]).toEqual(['set', 'rank', 'layer', 'hook', 'index', 'position', 'node_id', 'score']);
    expect(rows.slice(1).map((r) => `${r[0]}:${r[1]}:${r[6]}`)).toEqual([
      'path:1:L0.N5@4',
      'path:2:L1.N7@4',
      'beam2:1:L0.N6@4',
      'beam2:2:L1.N7@4',
      'runner_up:1:L0.N1@4',
      'runner_up:1:L1.N2@4',
      'runner_up:2:L1.N3@4',
      'baseline_activation:1:L0.N9@4',
      'baseline_layer_ig:1:L0.N5@4',
      'baseline_random:1:L1.N100@4',
    ]);
    expect(pathEdgesCsv(result)).toBe('from,to,weight\r\nL0.N5@4,L1.N7@4,-0.25\r\n');
  });

  it('JSON leaves the per-layer arrays out unless asked', () => {
    expect(JSON.parse(pathJson(result)).layerScores).toBeUndefined();
    expect(JSON.parse(pathJson(result)).layerIg).toBeUndefined();
    const full = JSON.parse(pathJson(result, { perLayer: true }));
    expect(full.layerScores).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(full.layerIg[1]).toEqual([7, 8]);
    expect(JSON.parse(pathJson(result)).edges).toEqual(result.edges);
  });
});

describe('faithfulness export', () => {
  const r: FaithfulnessResult = {
    rows: [
      {
        prompt: 0,
        token: 12,
        pClean: 0.5,
        paths: { neuronpath: ['L0.N1@3', 'L1.N2@3'], activation: [], layer_ig: [], random: [] },
        delta: { neuronpath: { remove: -0.3, enhance: 0.1 }, activation: { remove: -0.1, enhance: 0 }, layer_ig: { remove: -0.2, enhance: 0.05 }, random: { remove: 0, enhance: 0 } },
      },
    ],
    summary: [{ method: 'neuronpath', manipulation: 'remove', mean: -0.3, sd: 0, n: 1 }],
    paired: [{ baseline: 'random', manipulation: 'remove', winRate: 0.75, meanDiff: -0.2 }],
  };
  it('long-format rows and a summary table', () => {
    const rows = parseCsv(faithfulnessCsv(r));
    expect(rows[0]).toEqual(['prompt', 'token', 'p_clean', 'method', 'manipulation', 'delta', 'path']);
    expect(rows.length).toBe(1 + 8);
    expect(rows[1]).toEqual(['0', '12', '0.5', 'neuronpath', 'remove', '-0.3', 'L0.N1@3 L1.N2@3']);
    expect(faithfulnessPairedCsv(r)).toBe('baseline,manipulation,win_rate,mean_diff\r\nrandom,remove,0.75,-0.2\r\n');
    expect(faithfulnessSummaryCsv(r)).toBe('method,manipulation,mean,sd,n\r\nneuronpath,remove,-0.3,0,1\r\n');
    expect(JSON.parse(faithfulnessJson(r)).rows).toEqual(r.rows);
  });
});

describe('SVG serialisation', () => {
  const el = (nodeName: string, attrs: Record<string, string>, children: NodeLike[] = []): NodeLike => ({
    nodeType: 1,
    nodeName,
    nodeValue: null,
    attributes: Object.entries(attrs).map(([name, value]) => ({ name, value })),
    childNodes: children,
  });
  const txt = (s: string): NodeLike => ({ nodeType: 3, nodeName: '#text', nodeValue: s, childNodes: [] });

  it('standalone XML with inlined styles; scripts, handlers, external links and marked UI left out; text escaped', () => {
    const svg = el('svg', { width: '10', viewBox: '0 0 10 10', class: 'graph', onload: 'alert(1)' }, [
      el('script', {}, [txt('alert(2)')]),
      el('g', { 'data-node-id': 'L0.N1@2', transform: 'translate(1,2)' }, [el('circle', { r: '3', onclick: 'x()' }), el('text', {}, [txt('<b>"&"</b>')])]),
      el('a', { href: 'javascript:alert(3)' }, [txt('link')]),
      el('use', { href: '#marker' }),
      el('foreignObject', {}, [el('div', {}, [txt('html')])]),
      el('g', { 'data-export': 'skip' }, [txt('zoom buttons')]),
    ]);
    const out = serializeSvg(svg, { styleOf: (n) => (n.nodeName === 'circle' ? 'fill:rgb(1, 2, 3);stroke-width:2px' : ''), width: 200, height: 100, background: '#fff' });
    expect(out).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100" viewBox="0 0 10 10" class="graph">' +
        '<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>' +
        '<g data-node-id="L0.N1@2" transform="translate(1,2)"><circle r="3" style="fill:rgb(1, 2, 3);stroke-width:2px"></circle><text>&lt;b&gt;"&amp;"&lt;/b&gt;</text></g>' +
        '<a>link</a><use href="#marker"></use></svg>',
    );
  });
});

describe('inlined styles', () => {
  it('inherited properties only where they differ from the parent; others only off their initial value', () => {
    const parent = (p: string) => ({ fill: 'rgb(0, 0, 0)', 'font-size': '16px', opacity: '0.5' })[p] ?? '';
    const own = (p: string) => ({ fill: 'rgb(200, 10, 10)', 'font-size': '16px', opacity: '1', display: 'none' })[p] ?? '';
    expect(styleDiff(own, parent)).toBe('fill:rgb(200, 10, 10);display:none');
    expect(styleDiff(own, null)).toBe('fill:rgb(200, 10, 10);display:none;font-size:16px');
  });
});

describe('file names', () => {
  it('removes separators, reserved and control characters', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('a:b*c?"<>|\u0000.csv')).toBe('a_b_c______.csv');
    expect(safeFileName('...')).toBe('pathlight');
    expect(safeFileName('x'.repeat(300)).length).toBe(120);
  });
});
