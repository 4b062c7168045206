/**
 * Which model URLs a link may load without asking (pure; tested in Node). A link is somebody else's words: a model
 * on this page's own origin or on the Hugging Face hub loads at once; a model anywhere else loads only once the user
 * has seen where it comes from and said yes. Only http(s) URLs are fetched at all. Hub models by name come from
 * the public hub, or from the endpoint the user set; an endpoint a link names is asked about like a model URL.
 */

/** Hosts whose models a link may open without asking. */
export const KNOWN_HOSTS = ['huggingface.co', 'hf.co'];

export type LinkVerdict = { kind: 'load'; url: string } | { kind: 'confirm'; url: string; origin: string } | { kind: 'refuse'; message: string };

/**
 * `trusted`: origins the user chose themselves (the hub endpoint of the app's setting), known like the hub.
 */
export function modelUrlVerdict(raw: string, pageHref: string, trusted: string[] = []): LinkVerdict {
  let u: URL;
  try {
    u = new URL(raw, pageHref);
  } catch {
    return { kind: 'refuse', message: `The model URL "${raw.slice(0, 200)}" is not a valid address.` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { kind: 'refuse', message: `The model URL uses "${u.protocol}"; only http(s) addresses are fetched.` };
  const page = new URL(pageHref);
  if (u.origin === page.origin) return { kind: 'load', url: u.href };
  const host = u.hostname.toLowerCase();
  if (u.protocol === 'https:' && KNOWN_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) return { kind: 'load', url: u.href };
  if (trusted.some((t) => originOf(t) === u.origin)) return { kind: 'load', url: u.href };
  return { kind: 'confirm', url: u.href, origin: u.origin };
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * A hub endpoint a link names (`?hfEndpoint=`): the public hub, this page's origin and the user's own setting
 * (`trusted`) are used at once; any other origin only once the user has confirmed it, like a model URL.
 * `url` is where the model's files would come from, shown when asking.
 */
export function hubEndpointVerdict(endpoint: string, modelPath: string, pageHref: string, trusted: string[] = []): LinkVerdict {
  const v = modelUrlVerdict(endpoint, pageHref, trusted);
  if (v.kind === 'refuse') return { kind: 'refuse', message: v.message.replace('The model URL', 'The hub endpoint') };
  const url = `${v.url.replace(/\/+$/, '')}/${modelPath}`;
  return v.kind === 'load' ? { kind: 'load', url } : { kind: 'confirm', url, origin: v.origin };
}
