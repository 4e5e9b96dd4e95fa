// Headers on every response. The app is a Vite build: module scripts and a stylesheet from 'self',
// no inline script. WebAssembly (h5wasm, its compression plugins) needs 'wasm-unsafe-eval'; the
// data worker is a same-origin module worker. connect-src is wide on purpose: the app opens any
// .h5ad URL the user gives (`/?url=`) and snapshots on other scWeb servers.
import type { FastifyInstance } from 'fastify';

const BASE_CSP = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval'",
  // React and deck.gl set styles through the CSSOM (element.style), which CSP does not restrict;
  // stylesheets come only from 'self'.
  'style-src': "'self'",
  'img-src': "'self' data: blob:",
  'font-src': "'self' data:",
  'connect-src': "'self' https: http: blob: data:",
  'worker-src': "'self' blob:",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

function render(policy: Record<string, string>): string {
  return Object.entries(policy)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

export const CONTENT_SECURITY_POLICY = render(BASE_CSP);

/**
 * The data worker and the analysis pool workers (which open the same file for passes over cells)
 * rebuild their HDF5 module after a WebAssembly trap by evaluating h5wasm's bundle again
 * (`new Function`, src/io/h5/recreate.ts), which needs 'unsafe-eval'. A worker takes its policy
 * from its own script's response, so only those scripts get it; the page never does.
 */
export const WORKER_CONTENT_SECURITY_POLICY = render({ ...BASE_CSP, 'script-src': "'self' 'wasm-unsafe-eval' 'unsafe-eval' blob:" });

/** The pool workers run h5wasm (passes over cells) but never tfjs's WebAssembly build: no blob: scripts. */
export const POOL_WORKER_CONTENT_SECURITY_POLICY = render({ ...BASE_CSP, 'script-src': "'self' 'wasm-unsafe-eval' 'unsafe-eval'" });

export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

// The workers that run h5wasm: the data worker and the pool workers.
const WORKER_SCRIPT = /^\/assets\/data\.worker-[\w-]+\.js$/;
const POOL_WORKER_SCRIPT = /^\/assets\/pool\.worker-[\w-]+\.js$/;

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?', 1)[0];
    reply.header('Content-Security-Policy', WORKER_SCRIPT.test(path) ? WORKER_CONTENT_SECURITY_POLICY : POOL_WORKER_SCRIPT.test(path) ? POOL_WORKER_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    // Cross-origin isolation: the analysis workers share typed arrays (SharedArrayBuffer). The page
    // loads only same-origin scripts and CORS fetches, which these allow.
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) reply.header(k, v);
  });
}
