import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** For API answers (JSON, OTLP): nothing to load, nothing to frame. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The `'sha256-…'` sources of the inline scripts of a built page: SvelteKit's bootstrap (it inlines one to
 * start the app) and the theme script of app.html. Hashed from the built file itself, so whatever the build
 * emits is allowed and nothing else is (kit.csp would hash only Kit's own script, and a <meta> CSP cannot
 * carry frame-ancestors).
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * The dashboard's Content-Security-Policy: scripts only from this origin and the build's own inline scripts,
 * connections (fetch, socket.io) only to this origin, no plugins, no framing. Inline styles stay allowed: Svelte
 * and app.html set style attributes, and styles cannot run code.
 */
export function dashboardCsp(indexHtml: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(indexHtml).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Headers on every answer: nosniff, no framing (frame-ancestors and X-Frame-Options), no referrer; the
 * dashboard's CSP on its pages (`dashboardCsp` null: no dashboard here) and a closed one on the APIs, whose
 * answers (keys' data) are never cached: `Cache-Control: no-store`.
 */
export function securityHeaders(options: { apiPrefixes: readonly string[]; dashboardCsp: string | null }) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (options.apiPrefixes.some((p) => req.path.startsWith(p))) {
      res.setHeader('Content-Security-Policy', API_CSP);
      res.setHeader('Cache-Control', 'no-store');
    } else {
      res.setHeader('Content-Security-Policy', options.dashboardCsp ?? API_CSP);
    }
    next();
  };
}
