import { fileURLToPath } from 'node:url';
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// Built from the repository root (`npm run build:web` = `vite build --config apps/web/vite.config.ts`):
// the root is pinned to this folder so the output always lands in apps/web/build.
const root = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('./build', import.meta.url));

export default defineConfig({
  root,
  plugins: [
    sveltekit({
      // A static single-page app: the server serves build/ and answers unknown non-API paths with index.html.
      adapter: adapter({ pages: out, assets: out, fallback: 'index.html', precompress: false, strict: true }),
      // Absolute asset URLs: the fallback page is served at deep paths such as /projects/1/ai/traces/<id>.
      paths: { relative: false },
    }),
  ],
  server: {
    // `vite dev --config apps/web/vite.config.ts`: point TEMPS_API at a running `temps serve`.
    proxy: {
      '/api': { target: process.env.TEMPS_API ?? 'http://127.0.0.1:3000', changeOrigin: false },
      '/socket.io': { target: process.env.TEMPS_API ?? 'http://127.0.0.1:3000', ws: true },
    },
  },
  // The build analyses routes with a server bundle that lives under apps/web/.svelte-kit: bundle Kit's own
  // `cookie` (v2) into it, or Node would resolve the root's older `cookie` (0.7, Express's) instead.
  ssr: { noExternal: ['cookie'] },
  build: { chunkSizeWarningLimit: 400 },
});
