/**
 * Hub models in the app: the endpoint setting (localStorage, overridden by a trusted `?hfEndpoint=`), opening a
 * typed `owner/name[@rev]`, and the list of models kept in Cache Storage.
 */
import { DEFAULT_HF_ENDPOINT, normalizeEndpoint, parseHubRef, repoId, type HubRef } from '../engine/hub';
import { useStore, type ModelRef } from '../store/store';
import type { HubCachedModel } from '../worker/hub-fetch';
import { getEngine, loadModel } from './controller';

const SETTING_KEY = 'pathlight:hf-endpoint';
export const ENDPOINT_PARAM = 'hfEndpoint';

/** The endpoint the user set in the app (null: the public hub). */
export function endpointSetting(): string | null {
  try {
    const v = localStorage.getItem(SETTING_KEY);
    return v ? normalizeEndpoint(v) : null;
  } catch {
    return null;
  }
}

/** Saves the user's endpoint (empty: back to the public hub) and uses it from now on. Throws for a bad address. */
export function saveEndpointSetting(raw: string): string {
  const v = raw.trim() === '' ? DEFAULT_HF_ENDPOINT : normalizeEndpoint(raw);
  try {
    if (v === DEFAULT_HF_ENDPOINT) localStorage.removeItem(SETTING_KEY);
    else localStorage.setItem(SETTING_KEY, v);
  } catch {
    // storage unavailable: the endpoint holds for this page only
  }
  useStore.getState().set({ hubEndpoint: v });
  void refreshHubCache();
  return v;
}

export function initialEndpoint(): string {
  return endpointSetting() ?? DEFAULT_HF_ENDPOINT;
}

export function hubModelRef(ref: HubRef): Extract<ModelRef, { kind: 'hub' }> {
  return { kind: 'hub', name: repoId(ref), revision: ref.revision };
}

export function hubRefOf(ref: Extract<ModelRef, { kind: 'hub' }>): HubRef {
  const [owner, name] = ref.name.split('/');
  return { owner, name, revision: ref.revision };
}

/** Opens what the user typed: `owner/name`, `owner/name@rev`, `hf:…` or a hub page URL. */
export async function openHubByName(text: string): Promise<void> {
  let ref: HubRef;
  try {
    ref = parseHubRef(text);
  } catch (e) {
    useStore.getState().set({ error: (e as Error).message });
    return;
  }
  await loadModel(hubModelRef(ref));
}

/** Keeps `?hfEndpoint=` in the address saying where the loaded hub model came from, so a copied link does too. */
export function syncEndpointParam(endpoint: string): void {
  const u = new URL(location.href);
  if ((u.searchParams.get(ENDPOINT_PARAM) ?? DEFAULT_HF_ENDPOINT) === endpoint) return;
  if (endpoint === DEFAULT_HF_ENDPOINT) u.searchParams.delete(ENDPOINT_PARAM);
  else u.searchParams.set(ENDPOINT_PARAM, endpoint);
  history.replaceState(history.state, '', `${u.pathname}${u.search}${u.hash}`);
}

export async function refreshHubCache(): Promise<void> {
  try {
    useStore.getState().set({ hubCache: await getEngine().hubCacheList() });
  } catch {
    useStore.getState().set({ hubCache: [] });
  }
}

export async function deleteHubModel(m: HubCachedModel): Promise<void> {
  await getEngine().hubCacheDelete(m.endpoint, m.repo, m.revision);
  await refreshHubCache();
}
