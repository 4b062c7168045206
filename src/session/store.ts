/**
 * Saved sessions in IndexedDB (raw API, no wrapper library), and JSON export and import of one session or
 * all. Everything read back — stored records written by older versions, imported files — goes through
 * normalizeSession, so what comes out is always a valid current session.
 */
import { wrap, type IDBPDatabase } from 'idb';
import { z } from 'zod';
import { PathlightError } from '../engine/errors';
import { decodeSession, isSessionFragment } from './codec';
import { isPlainObject, normalizeSession } from './normalize';
import { modelLabel, type Session } from './schema';

export const DB_NAME = 'pathlight-sessions';
const DB_VERSION = 1;
const STORE = 'sessions';

/** The `kind` tags of export files. */
export const FILE_KIND_ONE = 'pathlight-session';
export const FILE_KIND_ALL = 'pathlight-sessions';
export const FILE_VERSION = 1;
/** Longest name kept. */
export const MAX_NAME = 200;
/** Largest import file read (characters) and most entries imported from one file. */
export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;
export const MAX_IMPORT_ENTRIES = 10_000;

export interface SavedSessionInfo {
  id: string;
  name: string;
  /** modelLabel of the session's model. */
  model: string;
  /** Milliseconds since the epoch. */
  savedAt: number;
  /** The prompt's first 80 characters (text, never HTML). */
  prompt: string;
}

export interface SavedSession extends SavedSessionInfo {
  session: Session;
  /** What normalizing the stored session changed (older formats, damaged records); usually empty. */
  notices: string[];
}

interface SessionRecord extends SavedSessionInfo {
  session: unknown;
}

export interface ImportReport {
  imported: SavedSessionInfo[];
  /** Entries not imported, with why. */
  rejected: Array<{ entry: number; name?: string; reason: string }>;
  /** Entries imported after repairs, with what was repaired. */
  warnings: string[];
}

export interface SessionStore {
  save(name: string, session: Session): Promise<string>;
  /** Overwrites a saved session's content (keeps its name), with a new date. */
  update(id: string, session: Session): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** Newest first. */
  list(): Promise<SavedSessionInfo[]>;
  get(id: string): Promise<SavedSession | null>;
  /** JSON text of one saved session (kind pathlight-session). */
  exportOne(id: string): Promise<string>;
  /** JSON text of every saved session (kind pathlight-sessions). */
  exportAll(): Promise<string>;
  /** Imports an export file (either kind), a bare session object, or a session link; saves the valid entries. */
  importText(text: string): Promise<ImportReport>;
  close(): void;
}

export function cleanName(name: unknown, fallback = 'Untitled session'): string {
  const s = typeof name === 'string' ? name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME) : '';
  return s || fallback;
}

/** The id of an imported session: a hash of its name, time and content, so the same entry always maps to one record. */
async function contentId(name: string, session: Session, savedAt: number): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([name, savedAt, session]));
  const d = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d.subarray(0, 12), (x) => x.toString(16).padStart(2, '0')).join('');
}

function newId(): string {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function info(r: SessionRecord): SavedSessionInfo {
  return { id: r.id, name: r.name, model: r.model, savedAt: r.savedAt, prompt: r.prompt };
}

function record(id: string, name: string, session: Session, savedAt: number): SessionRecord {
  return { id, name: cleanName(name), model: modelLabel(session.model), savedAt, prompt: session.prompt.slice(0, 80), session };
}

/** One entry of an export file. */
const FileEntry = z.object({ name: z.unknown().optional(), savedAt: z.unknown().optional(), session: z.unknown() });
const FileOne = z.object({ kind: z.literal(FILE_KIND_ONE), version: z.int().min(1) }).and(FileEntry);
const FileAll = z.object({ kind: z.literal(FILE_KIND_ALL), version: z.int().min(1), sessions: z.array(z.unknown()) });

function parseDate(x: unknown, fallback: number): number {
  const t = typeof x === 'string' ? Date.parse(x) : typeof x === 'number' ? x : NaN;
  return Number.isFinite(t) && t > 0 && t < 8.64e15 ? t : fallback;
}

function fileEntry(r: SessionRecord, session: Session) {
  return { name: r.name, savedAt: new Date(r.savedAt).toISOString(), session };
}

/** Opens (creating or upgrading) the database. `factory` defaults to the global indexedDB. */
export async function openSessionStore(opts: { dbName?: string; factory?: IDBFactory } = {}): Promise<SessionStore> {
  const factory = opts.factory ?? globalThis.indexedDB;
  if (!factory) throw new PathlightError('This browser has no IndexedDB (private mode?): sessions cannot be saved here, but links and exports still work.');
  // idb's promise wrappers over the given factory's open request (tests pass fake-indexeddb's).
  const open = factory.open(opts.dbName ?? DB_NAME, DB_VERSION);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' }).createIndex('savedAt', 'savedAt');
  };
  const db = (await wrap(open)) as IDBPDatabase;

  const getRecord = async (id: string): Promise<SessionRecord | null> => {
    const r: unknown = await db.get(STORE, id);
    return isPlainObject(r) ? (r as unknown as SessionRecord) : null;
  };
  const put = async (r: SessionRecord) => {
    await db.put(STORE, r);
  };
  const mustGet = async (id: string) => {
    const r = await getRecord(id);
    if (!r) throw new PathlightError(`No saved session with id ${id} (deleted in another tab?).`);
    return r;
  };
  const all = async (): Promise<SessionRecord[]> => {
    const rs = (await db.getAll(STORE)) as SessionRecord[];
    return rs.filter(isPlainObject).sort((a, b) => b.savedAt - a.savedAt || a.name.localeCompare(b.name));
  };
  const saveNormalized = async (name: string, session: Session, savedAt = Date.now()) => {
    const id = newId();
    await put(record(id, name, session, savedAt));
    return id;
  };

  const store: SessionStore = {
    async save(name, session) {
      return saveNormalized(name, normalizeSession(session).session);
    },
    async update(id, session) {
      const r = await mustGet(id);
      await put(record(id, r.name, normalizeSession(session).session, Date.now()));
    },
    async rename(id, name) {
      const r = await mustGet(id);
      await put({ ...r, name: cleanName(name, r.name) });
    },
    async delete(id) {
      await db.delete(STORE, id);
    },
    async list() {
      return (await all()).map(info);
    },
    async get(id) {
      const r = await getRecord(id);
      if (!r) return null;
      const n = normalizeSession(r.session);
      return { ...info(r), session: n.session, notices: n.notices };
    },
    async exportOne(id) {
      const r = await mustGet(id);
      return JSON.stringify({ kind: FILE_KIND_ONE, version: FILE_VERSION, exportedAt: new Date().toISOString(), ...fileEntry(r, normalizeSession(r.session).session) }, null, 1);
    },
    async exportAll() {
      const rs = await all();
      const sessions = rs.map((r) => fileEntry(r, normalizeSession(r.session).session));
      return JSON.stringify({ kind: FILE_KIND_ALL, version: FILE_VERSION, exportedAt: new Date().toISOString(), sessions }, null, 1);
    },
    async importText(text) {
      const report: ImportReport = { imported: [], rejected: [], warnings: [] };
      const entries = readImport(text, report);
      const now = Date.now();
      // Every entry is checked first, then all are written in one transaction: an import interrupted (a reload, a
      // closed tab) leaves nothing half-written. Ids come from the content, so importing a file again adds nothing.
      const records: SessionRecord[] = [];
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const parsed = FileEntry.safeParse(e);
        const label = parsed.success && typeof parsed.data.name === 'string' ? cleanName(parsed.data.name) : undefined;
        if (!parsed.success) {
          report.rejected.push({ entry: i + 1, reason: 'not a session entry (expected {name, savedAt, session})' });
          continue;
        }
        const n = normalizeSession(parsed.data.session);
        if (n.status === 'default') {
          report.rejected.push({ entry: i + 1, name: label, reason: n.notices.join(' ') || 'not a session' });
          continue;
        }
        const name = cleanName(parsed.data.name, `Imported session ${i + 1}`);
        for (const w of n.notices) report.warnings.push(`${name}: ${w}`);
        const savedAt = parseDate(parsed.data.savedAt, now);
        const r = record(await contentId(name, n.session, savedAt), name, n.session, savedAt);
        if (records.some((x) => x.id === r.id)) continue;
        if (await getRecord(r.id)) report.warnings.push(`${name}: already saved; kept once`);
        records.push(r);
      }
      if (records.length > 0) {
        const t = db.transaction(STORE, 'readwrite');
        await Promise.all([...records.map((r) => t.store.put(r)), t.done]);
      }
      report.imported.push(...records.map(info));
      return report;
    },
    close() {
      db.close();
    },
  };
  return store;
}

/** The entries of an import text; a problem with the whole file goes into `report.rejected` as entry 0. */
function readImport(text: string, report: ImportReport): unknown[] {
  const reject = (reason: string) => {
    report.rejected.push({ entry: 0, reason });
    return [];
  };
  if (typeof text !== 'string') return reject('the file is not text');
  if (text.length > MAX_IMPORT_CHARS) return reject(`the file is larger than ${MAX_IMPORT_CHARS / 1024 / 1024} MB`);
  const t = text.trim();
  // A session link, or just its fragment.
  const hashAt = t.indexOf('#');
  if (!t.startsWith('{') && (isSessionFragment(t) || (hashAt >= 0 && isSessionFragment(t.slice(hashAt))))) {
    const d = decodeSession(isSessionFragment(t) ? t : t.slice(hashAt));
    if (d.status === 'default') return reject(d.notices.join(' '));
    return [{ name: 'Imported link', session: d.session }];
  }
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    return reject('the file is not JSON (expected a Pathlight session export)');
  }
  const all = FileAll.safeParse(data);
  if (all.success) {
    if (all.data.version > FILE_VERSION) report.warnings.push(`The file was written by a newer version of Pathlight (file format ${all.data.version}); reading what this version understands.`);
    if (all.data.sessions.length > MAX_IMPORT_ENTRIES) {
      report.warnings.push(`The file holds ${all.data.sessions.length} sessions; only the first ${MAX_IMPORT_ENTRIES} are imported.`);
      return all.data.sessions.slice(0, MAX_IMPORT_ENTRIES);
    }
    return all.data.sessions;
  }
  const one = FileOne.safeParse(data);
  if (one.success) return [one.data];
  if (isPlainObject(data) && 'v' in data) return [{ name: 'Imported session', session: data }];
  return reject(`the file is not a Pathlight session export (expected "kind": "${FILE_KIND_ALL}" or "${FILE_KIND_ONE}")`);
}
