/** The session layer's public API (see docs/sessions.md). */
export { decodeSession, encodeSession, encodeSessionReadable, isSessionFragment, MAX_FRAGMENT_CHARS, type Decoded } from './codec';
export { checkModelFiles, fingerprintModelFiles, pickModelFiles, type FileCheck, type ModelFiles } from './local-files';
export { normalizeSession, type Normalized } from './normalize';
export { CURRENT_VERSION, defaultSession, LIMITS, modelLabel, Session, toEngineEdit, VIEW_TABS, type ViewTab, type LocalFingerprint, type SessionEdit, type SessionModel } from './schema';
export { sessionToStore, storeToSession, type StoreFields, type StorePatch } from './state';
export { openSessionStore, type ImportReport, type SavedSession, type SavedSessionInfo, type SessionStore } from './store';
export { createUrlSync, readSessionFromLocation, sessionUrl, type UrlSync } from './url-sync';
export { workerEncoder } from './encode-client';
