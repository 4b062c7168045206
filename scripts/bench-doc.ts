import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Replaces (or appends) the `## TITLE` section of a markdown file, leaving the other sections alone. */
export function writeSection(path: string, title: string, body: string): void {
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\nFigures, not tests. Each section says how it was measured.\n';
  const heading = `## ${title}`;
  const start = doc.indexOf(`\n${heading}\n`);
  const section = `\n${heading}\n\n${body.trim()}\n`;
  let out: string;
  if (start < 0) out = doc.trimEnd() + '\n' + section;
  else {
    const next = doc.indexOf('\n## ', start + heading.length + 2);
    out = doc.slice(0, start) + section + (next < 0 ? '' : doc.slice(next));
  }
  writeFileSync(path, out);
}
