/** The console's only way to the server: the /api routes a script can use too, with the session's CSRF token. */
export interface Session {
  wecomUserId: string; name?: string; csrf: string; via: string;
  scope: { county: boolean; schools: string[]; wholeSchools: string[]; principalOf: string[]; classes: string[] };
}

let csrf = '';

export async function loadSession(): Promise<Session | undefined> {
  const res = await fetch('/admin/session', { credentials: 'same-origin' });
  if (!res.ok) return undefined;
  const s = (await res.json()) as Session;
  csrf = s.csrf;
  return s;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body?: unknown) { super(message); }
}

export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown; raw?: Blob | ArrayBuffer; contentType?: string } = {}): Promise<{ data: T; headers: Headers }> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  let body: BodyInit | undefined;
  if (init.raw !== undefined) {
    body = init.raw;
    headers['Content-Type'] = init.contentType ?? 'application/octet-stream';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  // The session ended (12 hours idle, or signed out elsewhere): back to the page that says how to sign in.
  if (res.status === 401) {
    window.location.assign('/admin/');
    throw new ApiError(401, 'signed out');
  }
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json() : undefined;
  if (!res.ok) throw new ApiError(res.status, (data as { message?: string } | undefined)?.message ?? res.statusText, data);
  return { data: data as T, headers: res.headers };
}

export const get = async <T>(path: string): Promise<T> => (await api<T>(path)).data;

/** A query string from the filters that are set. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
