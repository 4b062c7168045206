/**
 * A safe Markdown subset for model cards, parsed to plain data that React renders as elements (never as HTML):
 * headings, paragraphs, bullet and numbered lists, fenced code, tables, and inline code, bold, italics and links.
 * Raw HTML stays literal text; links keep only http(s) and relative addresses (no javascript:, data: …); images
 * become links to the image.
 */
export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] };

export type Block =
  | { kind: 'heading'; level: number; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'code'; text: string }
  | { kind: 'table'; head: Inline[][]; rows: Inline[][][] };

/** An address a card may link to: http(s), or relative to the card (resolved against `base`); else null. */
export function safeHref(href: string, base?: string): string | null {
  const h = href.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return /^https?:\/\//i.test(h) ? h : null;
  if (h.startsWith('//')) return null;
  if (!base) return h.startsWith('#') ? h : null;
  try {
    const u = new URL(h, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function parseInline(s: string, base?: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^`([^`]+)`/.exec(rest))) {
      flush();
      out.push({ kind: 'code', text: m[1] });
    } else if ((m = /^!?\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/.exec(rest))) {
      flush();
      const href = safeHref(m[2], base);
      const label = m[1] || m[2];
      if (href) out.push({ kind: 'link', href, children: parseInline(label, base) });
      else out.push({ kind: 'text', text: label });
    } else if ((m = /^\*\*(.+?)\*\*/.exec(rest)) || (!/[A-Za-z0-9]/.test(s[i - 1] ?? '') && (m = /^__(.+?)__(?![A-Za-z0-9])/.exec(rest)))) {
      flush();
      out.push({ kind: 'strong', children: parseInline(m[1], base) });
    } else if ((m = /^\*(?!\s)(.+?)\*/.exec(rest)) || (!/[A-Za-z0-9]/.test(s[i - 1] ?? '') && (m = /^_(?!\s)(.+?)_(?![A-Za-z0-9])/.exec(rest)))) {
      flush();
      out.push({ kind: 'em', children: parseInline(m[1], base) });
    } else {
      text += s[i];
      i++;
      continue;
    }
    i += m[0].length;
  }
  flush();
  return out;
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());

export function parseMarkdown(src: string, base?: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    let m: RegExpExecArray | null;
    if (/^\s*```/.test(line)) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) body.push(lines[i++]);
      i++;
      blocks.push({ kind: 'code', text: body.join('\n') });
    } else if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      blocks.push({ kind: 'heading', level: m[1].length, children: parseInline(m[2], base) });
      i++;
    } else if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1])) {
      const head = cells(line).map((c) => parseInline(c, base));
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) rows.push(cells(lines[i++]).map((c) => parseInline(c, base)));
      blocks.push({ kind: 'table', head, rows });
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: string[] = [];
      while (i < lines.length && !/^\s*$/.test(lines[i])) {
        const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (item) items.push(item[2]);
        else if (items.length) items[items.length - 1] += ' ' + lines[i].trim();
        i++;
      }
      blocks.push({ kind: 'list', ordered, items: items.map((t) => parseInline(t, base)) });
    } else {
      const para: string[] = [];
      while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|\s*```|\s*([-*+]|\d+[.)])\s|\s*\|)/.test(lines[i])) para.push(lines[i++].trim());
      if (para.length === 0) para.push(lines[i++].trim());
      blocks.push({ kind: 'paragraph', children: parseInline(para.join(' '), base) });
    }
  }
  return blocks;
}
