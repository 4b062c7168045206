import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The page's default model (when the URL names none): `polyglot` once its weights are bundled in
 * public/models/polyglot/, the gpt2-tiny fixture until then. The one place this is decided.
 */
const PREFERRED_DEFAULT_MODEL = 'polyglot';
const FALLBACK_DEFAULT_MODEL = 'gpt2-tiny';
const DEFAULT_MODEL = existsSync(join(import.meta.dirname, 'public', 'models', PREFERRED_DEFAULT_MODEL, 'model.safetensors'))
  ? PREFERRED_DEFAULT_MODEL
  : FALLBACK_DEFAULT_MODEL;

const WASM_DIR = join(import.meta.dirname, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const wasmFiles = () => readdirSync(WASM_DIR).filter((f) => f.endsWith('.wasm'));

/** Serves tfjs' WASM binaries from the app itself under /wasm/ (dev) and emits them into the build. */
function tfjsWasm(): Plugin {
  return {
    name: 'pathlight-tfjs-wasm',
    configureServer(server) {
      server.middlewares.use('/wasm/', (req, res, next) => {
        const f = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!wasmFiles().includes(f)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        createReadStream(join(WASM_DIR, f)).pipe(res);
      });
    },
    generateBundle() {
      for (const f of wasmFiles()) this.emitFile({ type: 'asset', fileName: `wasm/${f}`, source: readFileSync(join(WASM_DIR, f)) });
    },
  };
}

/**
 * Cross-origin isolation, so the WASM backend can run on every core (shared memory needs it). Static hosting must
 * send the same two headers (docs/hosting.md); without them the app runs WASM on one thread.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), tfjsWasm()],
  define: { 'import.meta.env.VITE_DEFAULT_MODEL': JSON.stringify(DEFAULT_MODEL) },
  // tfjs's threaded WASM starts each thread from the text of its module factory (Function.prototype.toString), so the
  // worker bundle is not minified: a renamed outer variable would be undefined in the thread ("e is not defined").
  worker: { format: 'es', rolldownOptions: { output: { minify: false } } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, sourcemap: false },
  server: { port: 5173, host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { port: 4173, host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
