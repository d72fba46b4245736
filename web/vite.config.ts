import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console is served by the Coffer server from web/dist at `/`. `npx vite --config
 * web/vite.config.ts` runs a development server that forwards the API to a local Coffer
 * (COFFER_DEV_API, default http://127.0.0.1:8080).
 */
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env.COFFER_DEV_API ?? 'http://127.0.0.1:8080' },
  },
});
