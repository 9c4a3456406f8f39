/**
 * The API key the dashboard uses for every call. It is entered in the Connect form and kept in
 * sessionStorage `temps.token` (this tab's session: gone when the tab closes), never in a URL.
 * The last project id (not a secret) is kept in localStorage.
 */
export const TOKEN_KEY = 'temps.token';
export const PROJECT_KEY = 'temps.project';

function store(kind: 'session' | 'local'): Storage | null {
  try {
    return kind === 'session' ? sessionStorage : localStorage;
  } catch {
    return null;
  }
}

function readStored(key: string, kind: 'session' | 'local' = 'session'): string | null {
  try {
    return store(kind)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string | null, kind: 'session' | 'local' = 'session') {
  try {
    if (value === null) store(kind)?.removeItem(key);
    else store(kind)?.setItem(key, value);
  } catch {
    /* storage disabled: the key lives in memory for this page only */
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
    // A key left in localStorage by an older version is moved to the session.
    const legacy = readStored(TOKEN_KEY, 'local');
    if (legacy) writeStored(TOKEN_KEY, null, 'local');
    this.token = readStored(TOKEN_KEY) || legacy || null;
    if (legacy && this.token === legacy) writeStored(TOKEN_KEY, legacy);
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

  /** Sign out: forget the key (this tab's session) and show the Connect form. */
  disconnect() {
    writeStored(TOKEN_KEY, null);
    this.notice = 'Signed out. The key was removed from this browser tab.';
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
  const p = readStored(PROJECT_KEY, 'local');
  return p && /^[\w-]{1,64}$/.test(p) ? p : '1';
}

export function rememberProject(projectId: string) {
  writeStored(PROJECT_KEY, projectId, 'local');
}
