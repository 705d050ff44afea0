import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The web inbox. Built into `web/dist/`, which Parley serves at `/` (src/web/plugin.ts); `npm run
 * dev:web` serves it with hot reload and sends `/api` to a Parley on port 3000.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [preact()],
  resolve: {
    // The typed client from its sources: the inbox is typed by the very schemas the server validates with.
    alias: { '@parley/client': here('../clients/typescript/src/index.ts') },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Every asset as a file under /assets/: the page's Content-Security-Policy allows no inline data beyond images.
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
