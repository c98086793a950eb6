// The console's client of the HTTP API (/api/v1). The user token lives in
// sessionStorage: it never outlives the tab, and no cookie carries it, so a
// request another site makes to this server carries no credential.

const tokenKey = 'configmat.token';
const tenantKey = 'configmat.tenant';

/** The signed-in session of this tab. */
export const session = {
  token: () => sessionStorage.getItem(tokenKey),
  tenant: () => sessionStorage.getItem(tenantKey),
  signIn(token) { sessionStorage.setItem(tokenKey, token); },
  setTenant(slug) { sessionStorage.setItem(tenantKey, slug); },
  signOut() {
    sessionStorage.removeItem(tokenKey);
    sessionStorage.removeItem(tenantKey);
  },
};

/** An error answer of the API, in the contract's format. */
export class APIError extends Error {
  constructor(status, error) {
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || `HTTP_${status}`;
    this.details = error.details || {};
    this.requestID = error.request_id || '';
  }
}

/**
 * api calls the HTTP API with the session's token and tenant and returns
 * the decoded answer (null for 204), or throws an APIError. An expired or
 * revoked token ends the session and goes back to the sign-in page.
 */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  const tenant = session.tenant();
  if (tenant) headers['X-Tenant'] = tenant;
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new APIError(res.status, (data && data.error) || {});
    if (res.status === 401 && token && err.code === 'INVALID_TOKEN') {
      session.signOut();
      location.assign('/console/?expired=1');
    }
    throw err;
  }
  return data;
}

/** enc encodes one path segment or query value. */
export const enc = encodeURIComponent;
