import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ and served by `herald serve` at `/` (same origin as /api/v1).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
