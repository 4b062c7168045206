import { Fragment, useEffect, useState, type ReactNode } from 'react';
import { useStore } from '../store/store';
import { parseMarkdown, type Block, type Inline } from '../views/markdown';
import { loadModelCard, type ModelCard } from './model-card';

function inline(xs: Inline[]): ReactNode {
  return xs.map((x, i) => {
    switch (x.kind) {
      case 'text':
        return <Fragment key={i}>{x.text}</Fragment>;
      case 'code':
        return <code key={i}>{x.text}</code>;
      case 'strong':
        return <strong key={i}>{inline(x.children)}</strong>;
      case 'em':
        return <em key={i}>{inline(x.children)}</em>;
      case 'link':
        return (
          <a key={i} href={x.href} target="_blank" rel="noopener noreferrer">
            {inline(x.children)}
          </a>
        );
    }
  });
}

function block(b: Block, i: number): ReactNode {
  switch (b.kind) {
    case 'heading': {
      const H = `h${Math.min(6, b.level + 2)}` as 'h3';
      return <H key={i}>{inline(b.children)}</H>;
    }
    case 'paragraph':
      return <p key={i}>{inline(b.children)}</p>;
    case 'code':
      return <pre key={i}>{b.text}</pre>;
    case 'list': {
      const L = b.ordered ? 'ol' : 'ul';
      return <L key={i}>{b.items.map((it, j) => <li key={j}>{inline(it)}</li>)}</L>;
    }
    case 'table':
      return (
        <table key={i}>
          <thead>
            <tr>{b.head.map((c, j) => <th key={j}>{inline(c)}</th>)}</tr>
          </thead>
          <tbody>
            {b.rows.map((r, j) => (
              <tr key={j}>{r.map((c, k) => <td key={k}>{inline(c)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      );
  }
}

/** The loaded model's card (MODEL.md), as safe Markdown: fetched when the panel is opened. */
export function ModelCardPanel() {
  const model = useStore((s) => s.model);
  const ref = useStore((s) => s.modelRef);
  const [open, setOpen] = useState(false);
  const [card, setCard] = useState<ModelCard | null>(null);
  useEffect(() => {
    setCard(null);
    if (!open || !model) return;
    let live = true;
    void loadModelCard(ref).then((c) => live && setCard(c));
    return () => {
      live = false;
    };
  }, [open, model, ref]);
  if (!model) return null;
  return (
    <details className="panel model-card" data-testid="model-card" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        <strong>Model card</strong> <span className="muted">{model.name}</span>
      </summary>
      {!card ? (
        open && <p className="muted">reading the card…</p>
      ) : card.kind === 'none' ? (
        <p className="muted" data-testid="model-card-none">
          {card.message}
        </p>
      ) : (
        <div className="card-body" data-testid="model-card-body">
          <p className="muted">{card.file}</p>
          {parseMarkdown(card.text, card.base).map(block)}
        </div>
      )}
    </details>
  );
}
