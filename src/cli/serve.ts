// `scweb serve`: the built app and the share API, on the filesystem store or an S3 bucket. Flags
// win over environment variables; AWS credentials come the SDK's usual way (env, profile, role).
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../server/app.ts';
import { formatDuration, parseDuration } from '../../server/creation-limit.ts';
import { DEFAULTS, parseSize } from '../../server/options.ts';
import type { ShareStore } from '../../server/store.ts';
import { FsStore } from '../../server/stores/fs.ts';
import { S3Store } from '../../server/stores/s3.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

const FLAGS = ['port', 'host', 'data', 's3-bucket', 's3-endpoint', 's3-region', 's3-prefix', 'max-upload', 'max-range-response', 'base-url', 'expires-days', 'rate-limit', 'rate-window', 'check-timeout', 'trust-proxy', 'app'];
const ENV: Record<string, string> = {
  port: 'SCWEB_PORT',
  host: 'SCWEB_HOST',
  data: 'SCWEB_DATA',
  's3-bucket': 'SCWEB_S3_BUCKET',
  's3-endpoint': 'SCWEB_S3_ENDPOINT',
  's3-region': 'SCWEB_S3_REGION',
  's3-prefix': 'SCWEB_S3_PREFIX',
  'max-upload': 'SCWEB_MAX_UPLOAD',
  'max-range-response': 'SCWEB_MAX_RANGE_RESPONSE',
  'base-url': 'SCWEB_BASE_URL',
  'expires-days': 'SCWEB_EXPIRES_DAYS',
  'rate-limit': 'SCWEB_RATE_LIMIT',
  'rate-window': 'SCWEB_RATE_WINDOW',
  'check-timeout': 'SCWEB_CHECK_TIMEOUT',
  'trust-proxy': 'SCWEB_TRUST_PROXY',
};

/** The limits and addresses `serve` takes from its flags and the environment (flags win). */
export interface ServeSettings {
  flags: Map<string, string>;
  port: number;
  host: string;
  baseUrl: string | undefined;
  maxUploadBytes: number;
  maxRangeResponseBytes: number;
  maxExpiresDays: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  checkTimeoutMs: number;
  trustProxy: boolean;
}

export function serveSettings(args: string[], env: NodeJS.ProcessEnv = process.env): ServeSettings {
  const p = parseArgs(args, FLAGS);
  if (p.positionals.length) throw new UsageError(`serve takes no file, got "${p.positionals[0]}"`);
  for (const [flag, name] of Object.entries(ENV)) if (!p.flags.has(flag) && env[name]) p.flags.set(flag, env[name]!);

  const size = (flag: string, dflt: number): number => {
    const text = p.flags.get(flag);
    if (text === undefined) return dflt;
    const n = parseSize(text);
    if (!n) throw new UsageError(`--${flag} must be a size such as 2GiB, 500M or 1048576, got "${text}"`);
    return n;
  };
  const maxExpiresDays = intFlag(p, 'expires-days', DEFAULTS.maxExpiresDays);
  if (maxExpiresDays < 1) throw new UsageError('--expires-days must be at least 1');
  const window = p.flags.get('rate-window');
  const rateLimitWindowMs = window === undefined ? DEFAULTS.rateLimitWindowMs : parseDuration(window);
  if (rateLimitWindowMs === null) throw new UsageError(`--rate-window must be a duration such as 1h, 10m, 90s or 3600 (seconds), got "${window}"`);
  const check = p.flags.get('check-timeout');
  const checkSeconds = check === undefined ? DEFAULTS.checkTimeoutMs / 1000 : Number(check);
  if (check !== undefined && (!/^\s*\d+(\.\d+)?\s*$/.test(check) || !(checkSeconds > 0))) {
    throw new UsageError(`--check-timeout must be a number of seconds above 0, got "${check}"`);
  }
  const baseUrl = p.flags.get('base-url')?.replace(/\/+$/, '');
  if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl)) throw new UsageError(`--base-url must be an http(s) URL, got "${baseUrl}"`);
  return {
    flags: p.flags,
    port: intFlag(p, 'port', 8080),
    host: p.flags.get('host') ?? 'localhost',
    baseUrl,
    maxUploadBytes: size('max-upload', DEFAULTS.maxUploadBytes),
    maxRangeResponseBytes: size('max-range-response', DEFAULTS.maxRangeResponseBytes),
    maxExpiresDays,
    // 0: no limit (a proxy in front may limit instead).
    rateLimitMax: intFlag(p, 'rate-limit', DEFAULTS.rateLimitMax),
    rateLimitWindowMs,
    checkTimeoutMs: Math.max(1, Math.round(checkSeconds * 1000)),
    trustProxy: ['1', 'true', 'yes'].includes((p.flags.get('trust-proxy') ?? '').toLowerCase()),
  };
}

export async function serveCommand(args: string[]): Promise<number> {
  const settings = serveSettings(args);
  const { flags } = settings;

  let store: ShareStore;
  let stagingDir: string;
  const bucket = flags.get('s3-bucket');
  if (bucket) {
    store = new S3Store({ bucket, endpoint: flags.get('s3-endpoint'), region: flags.get('s3-region') ?? process.env.AWS_REGION, prefix: flags.get('s3-prefix') });
    stagingDir = await mkdtemp(join(tmpdir(), 'scweb-staging-'));
  } else {
    const data = resolve(flags.get('data') ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local/share'), 'scweb'));
    store = new FsStore(join(data, 'shares'));
    stagingDir = join(data, 'staging');
  }
  const appDir = resolve(flags.get('app') ?? fileURLToPath(new URL('../../dist', import.meta.url)));
  if (!existsSync(join(appDir, 'index.html'))) console.error(`scweb: warning: ${appDir} holds no built app (run \`make build\`); serving the share API only`);

  const app = await buildApp({
    ...DEFAULTS,
    store,
    stagingDir,
    appDir,
    baseUrl: settings.baseUrl,
    maxUploadBytes: settings.maxUploadBytes,
    maxRangeResponseBytes: settings.maxRangeResponseBytes,
    maxExpiresDays: settings.maxExpiresDays,
    rateLimitMax: settings.rateLimitMax,
    rateLimitWindowMs: settings.rateLimitWindowMs,
    checkTimeoutMs: settings.checkTimeoutMs,
    trustProxy: settings.trustProxy,
    now: () => new Date(),
    logger: false,
  });
  const { host } = settings;
  await app.listen({ port: settings.port, host });
  // The port actually bound (--port 0 picks a free one: the load test reads it from this line).
  const { port } = app.server.address() as AddressInfo;
  const shown = settings.baseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const limit = settings.rateLimitMax > 0 ? `${settings.rateLimitMax} new shares per address per ${formatDuration(settings.rateLimitWindowMs)}` : 'no creation limit';
  console.error(`scweb: serving ${appDir} and the share API at ${shown}/ (shares: ${store.describe()}, uploads up to ${settings.maxUploadBytes} bytes, kept ${settings.maxExpiresDays} days, ${limit})`);
  await new Promise<void>((done) => {
    // `on`, not `once`: Ctrl-C under `make start` reaches this process twice (from the terminal,
    // and as SIGTERM from scripts/serve.mjs), and a second signal without a handler would end it
    // before the close finished.
    let closing: Promise<void> | null = null;
    const stop = () => {
      closing ??= app.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
