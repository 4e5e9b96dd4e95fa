// One phase of load on a `scweb serve` child: autocannon against loopback, bounded by a request
// count or seconds (and a watchdog on top), with the server's own peak memory sampled meanwhile.
// Used by bench/serve-load.ts (the long run, its table) and test/server-load.test.ts (the short one).
import autocannon, { type Request } from 'autocannon';
import type { ServeChild } from './serve-child.ts';
import { sampler } from './serve-child.ts';

export interface Phase {
  name: string;
  connections: number;
  /** Stop after this many requests... */
  amount?: number;
  /** ...or after this many seconds. */
  seconds?: number;
  requests: Request[];
}

export interface PhaseResult {
  name: string;
  connections: number;
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  status: Record<string, number>;
  /** Largest response seen (headers and body), bytes. */
  maxResponseBytes: number;
  peakRssBytes: number;
}

export async function runPhase(server: ServeChild, phase: Phase): Promise<PhaseResult> {
  if (!server.base.startsWith('http://127.0.0.1:')) throw new Error('load is only ever sent to loopback');
  const rss = sampler(() => server.rss());
  const instance = autocannon({
    url: server.base,
    connections: phase.connections,
    ...(phase.amount !== undefined ? { amount: phase.amount } : { duration: phase.seconds ?? 5 }),
    timeout: 10,
    requests: phase.requests,
  });
  let maxResponseBytes = 0;
  instance.on('response', (_client: unknown, _status: number, resBytes: number) => {
    maxResponseBytes = Math.max(maxResponseBytes, resBytes);
  });
  // A bound on top of autocannon's own: never more than the phase's time plus a minute.
  const limitMs = ((phase.seconds ?? 0) + 60) * 1000;
  const watchdog = setTimeout(() => instance.stop(), limitMs);
  const t0 = Date.now();
  const r = await instance;
  if (process.env.LOAD_TIMING) console.error(phase.name, Date.now() - t0, 'ms');
  clearTimeout(watchdog);
  const status: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) status[code] = Number(count);
  return {
    name: phase.name,
    connections: phase.connections,
    requests: Object.values(status).reduce((a, b) => a + b, 0),
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    status,
    maxResponseBytes,
    peakRssBytes: rss.stop(),
  };
}

/** The Range headers the server must answer without amplifying (server/README.md, "Range headers"). */
export const RANGE_FORMS = [
  'bytes=abc',
  'bytes=5-1',
  'bytes=0-10,20-30',
  'items=0-1',
  'bytes=',
  'bytes=-0',
  'bytes=-',
  'bytes= 0-1',
  'bytes=0-1,',
  'bytes=999999999-',
  'bytes=0-99999999999',
  'bytes=-999999999',
  'bytes=0-0',
  'bytes=1-2, 3-4',
  `bytes=${Array.from({ length: 2500 }, () => '0-0').join(',')}`,
];
