/**
 * Light or dark. app.html sets `data-theme` on <html> before the first paint (the stored choice, else
 * the system's `prefers-color-scheme`); the toggle stores an explicit choice in localStorage `temps.theme`.
 */
export type Theme = 'light' | 'dark';
const THEME_KEY = 'temps.theme';

function stored(): Theme | null {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'dark' || t === 'light' ? t : null;
  } catch {
    return null;
  }
}

function system(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class ThemeState {
  current = $state<Theme>('light');
  #started = false;

  start() {
    if (this.#started || typeof document === 'undefined') return;
    this.#started = true;
    this.current = stored() ?? system();
    this.#apply();
    // Follow the system while no explicit choice was made.
    matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => {
      if (stored()) return;
      this.current = system();
      this.#apply();
    });
  }

  toggle() {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(THEME_KEY, this.current);
    } catch {
      /* not kept */
    }
    this.#apply();
  }

  #apply() {
    document.documentElement.setAttribute('data-theme', this.current);
  }
}

export const theme = new ThemeState();
