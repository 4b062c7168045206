import { useEffect, useRef, useState } from 'react';
import { openSessionStore, type SavedSessionInfo, type SessionStore } from '../session';
import { attributionCsv, attributionJson, downloadBlob, downloadText, pathCsv, pathJson, svgString, svgToPng } from './export';
import { useStore } from '../store/store';
import { provenanceOf, withProvenanceCsv, withProvenanceJson, withProvenanceSvg } from './provenance';
import { currentLink, restoreSession, sessionOfState } from './session-bind';

/** Share link, saved sessions (IndexedDB), and exports of the current results. */
export function SessionsPanel() {
  const [db, setDb] = useState<SessionStore | null>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const [list, setList] = useState<SavedSessionInfo[]>([]);
  const [name, setName] = useState('');
  const [copied, setCopied] = useState(false);
  const importRef = useRef<HTMLInputElement>(null);
  const path = useStore((s) => s.path);
  const attribution = useStore((s) => s.attribution);
  const notify = useStore((s) => s.notify);

  const reload = async (d = db) => d && setList(await d.list());
  useEffect(() => {
    openSessionStore()
      .then((d) => {
        setDb(d);
        void d.list().then(setList);
      })
      .catch((e: Error) => setUnavailable(e.message));
  }, []);

  const graphSvg = () => document.querySelector<SVGSVGElement>('[data-testid=path-graph] svg');
  // Exports are offered whenever there is a result (the graph's SVG is looked up at the click).
  const hasResult = path !== null || attribution !== null;
  const prov = () => provenanceOf(useStore.getState());
  const missingGraph = () => notify('The graph is not on screen: open the Path graph tab to export it.');
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

  return (
    <div className="panel" data-testid="sessions-panel">
      <h2>Share and save</h2>
      <div className="controls">
        <button
          data-testid="copy-link"
          onClick={async () => {
            const link = currentLink();
            try {
              await navigator.clipboard.writeText(link);
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            } catch {
              notify('The link is in the address bar; copy it from there.');
            }
          }}
        >
          {copied ? 'Link copied' : 'Copy link'}
        </button>
        {db && (
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              try {
                await db.save(name || useStore.getState().prompt.slice(0, 40) || 'Untitled session', sessionOfState());
                setName('');
                await reload();
              } catch (err) {
                notify(`Could not save: ${(err as Error).message}`);
              }
            }}
          >
            <input data-testid="session-name" placeholder="session name" value={name} onChange={(e) => setName(e.target.value)} size={16} />{' '}
            <button data-testid="save-session">Save</button>
          </form>
        )}
      </div>
      {unavailable && <p className="muted">Saved sessions are unavailable here ({unavailable}); links still work.</p>}
      {list.length > 0 && (
        <ul className="saved" data-testid="saved-sessions">
          {list.map((s) => (
            <li key={s.id}>
              <button
                className="link"
                title={s.prompt}
                onClick={async () => {
                  const full = await db!.get(s.id);
                  if (full) await restoreSession(full.session);
                }}
              >
                {s.name}
              </button>{' '}
              <span className="muted">
                {s.model} · {new Date(s.savedAt).toLocaleString()}
              </span>{' '}
              <button
                onClick={async () => {
                  const n = prompt('New name', s.name);
                  if (n) (await db!.rename(s.id, n), await reload());
                }}
              >
                rename
              </button>
              <button onClick={async () => downloadText(`pathlight-session-${s.id}.json`, await db!.exportOne(s.id), 'application/json')}>export</button>
              <button onClick={async () => (await db!.delete(s.id), await reload())}>delete</button>
            </li>
          ))}
        </ul>
      )}
      {db && (
        <div className="controls">
          <button onClick={async () => downloadText(`pathlight-sessions-${stamp()}.json`, await db.exportAll(), 'application/json')} disabled={list.length === 0}>
            Export all
          </button>
          <button onClick={() => importRef.current?.click()}>Import…</button>
          <input
            ref={importRef}
            type="file"
            accept=".json,application/json"
            style={{ display: 'none' }}
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              const r = await db.importText(await f.text());
              notify(`Imported ${r.imported.length} session(s)${r.rejected.length ? `; refused ${r.rejected.length}: ${r.rejected.map((x) => x.reason).join('; ')}` : ''}${r.warnings.length ? `; repaired: ${r.warnings.join('; ')}` : ''}.`);
              e.target.value = '';
              await reload();
            }}
          />
        </div>
      )}
      <div className="controls">
        <span className="muted">Export:</span>
        <button
          data-testid="export-svg"
          disabled={!hasResult}
          onClick={() => {
            const svg = graphSvg();
            if (svg) downloadText(`pathlight-graph-${stamp()}.svg`, withProvenanceSvg(svgString(svg), prov()), 'image/svg+xml');
            else missingGraph();
          }}
        >
          graph SVG
        </button>
        <button
          data-testid="export-png"
          disabled={!hasResult}
          onClick={async () => {
            const svg = graphSvg();
            const p = prov();
            if (svg) downloadBlob(`pathlight-graph-${stamp()}.png`, await svgToPng(svg, 2, '#ffffff', (t) => withProvenanceSvg(t, p)));
            else missingGraph();
          }}
        >
          graph PNG
        </button>
        {path && (
          <>
            <button onClick={() => downloadText(`pathlight-path-${stamp()}.json`, withProvenanceJson(pathJson(path), prov()), 'application/json')}>path JSON</button>
            <button onClick={() => downloadText(`pathlight-path-${stamp()}.csv`, withProvenanceCsv(pathCsv(path), prov()), 'text/csv')}>path CSV</button>
          </>
        )}
        {attribution && (
          <>
            <button onClick={() => downloadText(`pathlight-attribution-${stamp()}.json`, withProvenanceJson(attributionJson(attribution), prov()), 'application/json')}>attribution JSON</button>
            <button onClick={() => downloadText(`pathlight-attribution-${stamp()}.csv`, withProvenanceCsv(attributionCsv(attribution), prov()), 'text/csv')}>attribution CSV</button>
          </>
        )}
      </div>
    </div>
  );
}
