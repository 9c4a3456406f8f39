/**
 * The API key the dashboard uses for every call. It comes once from the URL fragment
 * (`#token=tk_...`, the link the server prints at start-up; app.html moves it out of the address bar
 * before the router starts), then from localStorage `temps.token`.
 */
export const TOKEN_KEY = 'temps.token';
export const PROJECT_KEY = 'temps.project';

declare global {
  interface Window {
    /** Set by the inline script in app.html when the key came in the URL fragment. */
    __tempsFragmentToken?: string;
  }
}

function readStored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* storage disabled: the key lives for this tab only */
  }
}

class Session {
  /** The API key in use; null shows the Connect form. */
  token = $state<string | null>(null);
  /** Why the Connect form is shown again (a rejected key), if not the first visit. */
  notice = $state<string | null>(null);
  #started = false;

  start() {
    if (this.#started) return;
    this.#started = true;
    this.token = (typeof window !== 'undefined' && window.__tempsFragmentToken) || readStored(TOKEN_KEY) || null;
  }

  connect(token: string) {
    const t = token.trim();
    writeStored(TOKEN_KEY, t);
    this.notice = null;
    this.token = t;
  }

  /** The server answered 401: forget the key and ask for another one. */
  rejected(message = 'The server did not accept this API key (401). It may have been revoked or mistyped.') {
    if (!this.token) return;
    writeStored(TOKEN_KEY, null);
    this.notice = message;
    this.token = null;
  }

  disconnect() {
    writeStored(TOKEN_KEY, null);
    this.notice = null;
    this.token = null;
  }

  /** tk_live_ab…uv: enough to tell keys apart, not enough to leak one. */
  get maskedToken(): string {
    const t = this.token ?? '';
    if (t.length <= 12) return t ? `${t.slice(0, 3)}…` : '';
    return `${t.slice(0, 8)}…${t.slice(-4)}`;
  }
}

export const session = new Session();

export function lastProjectId(): string {
  const p = readStored(PROJECT_KEY);
  return p && /^[\w-]{1,64}$/.test(p) ? p : '1';
}

export function rememberProject(projectId: string) {
  writeStored(PROJECT_KEY, projectId);
}
