/** A small dependency-free SVG line chart (loss curves in model cards). */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

export function lineChartSvg(series: Series[], o: { title: string; xLabel: string; yLabel: string; width?: number; height?: number }): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const m = { l: 56, r: 16, t: 32, b: 44 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMin = Math.min(...all.map((p) => p[1]));
  const yMax = Math.max(...all.map((p) => p[1]));
  const yLo = Math.floor(yMin * 2) / 2;
  const yHi = Math.ceil(yMax * 2) / 2 || 1;
  const sx = (x: number) => +(m.l + (x / xMax) * (W - m.l - m.r)).toFixed(1);
  const sy = (y: number) => +(H - m.b - ((y - yLo) / Math.max(1e-9, yHi - yLo)) * (H - m.t - m.b)).toFixed(1);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const yTicks = Array.from({ length: 6 }, (_, i) => yLo + ((yHi - yLo) * i) / 5);
  const xTicks = Array.from({ length: 6 }, (_, i) => Math.round((xMax * i) / 5));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`,
    ...yTicks.map((y) => `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/><text x="${m.l - 6}" y="${sy(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`),
    ...xTicks.map((x) => `<text x="${sx(x)}" y="${H - m.b + 16}" text-anchor="middle">${x}</text>`),
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
    ...series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`),
    ...series.map((s, i) => `<rect x="${W - m.r - 190}" y="${m.t + 4 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${W - m.r - 175}" y="${m.t + 13 + i * 16}">${esc(s.name)}</text>`),
    '</svg>',
  ];
  return parts.join('\n');
}
