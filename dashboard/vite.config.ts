// Dashboard build: `npm run build:dashboard` (vite build --config dashboard/vite.config.ts).
// Output goes to dashboard/dist: index.html (the estate app, which the gateway serves at `/`) and
// hq.html (the head-office pages, which the HQ server serves at `/`). The dev server (`npx vite
// --config dashboard/vite.config.ts`) proxies the API and socket.io to a gateway on 127.0.0.1:8080,
// or to the HQ API with HQ_URL=http://host:port (then open /hq.html).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const gateway = process.env.HQ_URL ?? process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/api': { target: gateway },
  '/socket.io': { target: gateway, ws: true },
};

export default defineConfig({
  root,
  base: '/',
  clearScreen: false,
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        hq: fileURLToPath(new URL('./hq.html', import.meta.url)),
        // Owners' public page (gateway/api/owner.ts serves it at /r/…).
        request: fileURLToPath(new URL('./request.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
});
