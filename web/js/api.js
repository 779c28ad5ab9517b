// The one place that talks HTTP: JSON in and out, the bearer token when there is one, and
// errors turned into `ApiError` with a sentence a person can read.

const TOKEN_KEY = 'portfolio_rt.token';
let token = null;

export class ApiError extends Error {
  constructor(status, code, message, { retryAfter = null, details = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

/** A token handed over by the host app (URL fragment `#token=…`) or kept for this tab. */
export function loadToken() {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const fromHost = hash.get('token');
  if (fromHost) {
    sessionStorage.setItem(TOKEN_KEY, fromHost);
    hash.delete('token');
    const rest = hash.toString();
    const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
    window.history.replaceState(null, '', url);
  }
  token = sessionStorage.getItem(TOKEN_KEY);
  return token;
}

export function setToken(value) {
  token = value || null;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function getToken() {
  return token;
}

const FRIENDLY = {
  0: 'We could not reach the server. Check your connection and try again.',
  429: 'Too many requests just now. Please wait a moment and try again.',
  502: 'Our broker did not answer properly. Please try again in a moment.',
  503: 'Our broker is not available right now. Please try again in a moment.',
  504: 'Our broker took too long to answer. Please try again in a moment.',
};

/** Calls the API; resolves to the JSON body, rejects with `ApiError`. */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const sent = { Accept: 'application/json', ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', FRIENDLY[0]);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const err = data?.error ?? {};
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const message = response.status >= 500 || !err.message ? FRIENDLY[response.status] : err.message;
    const error = new ApiError(response.status, err.code ?? 'http_error', message ?? err.message ?? 'Something went wrong. Please try again.', {
      retryAfter,
      details: err.details ?? null,
    });
    if (response.status === 401) window.dispatchEvent(new CustomEvent('portfolio:signed-out'));
    throw error;
  }
  return data;
}

/** A fresh Idempotency-Key: one per deposit attempt, reused only when retrying that attempt. */
export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
