// `scweb serve`: the built app and the share API, on the filesystem store or an S3 bucket. Flags
// win over environment variables; AWS credentials come the SDK's usual way (env, profile, role).
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../server/app.ts';
import { DEFAULTS, parseSize } from '../../server/options.ts';
import type { ShareStore } from '../../server/store.ts';
import { FsStore } from '../../server/stores/fs.ts';
import { S3Store } from '../../server/stores/s3.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

const FLAGS = ['port', 'host', 'data', 's3-bucket', 's3-endpoint', 's3-region', 's3-prefix', 'max-upload', 'base-url', 'expires-days', 'rate-limit', 'trust-proxy', 'app'];
const ENV: Record<string, string> = {
  port: 'SCWEB_PORT',
  host: 'SCWEB_HOST',
  data: 'SCWEB_DATA',
  's3-bucket': 'SCWEB_S3_BUCKET',
  's3-endpoint': 'SCWEB_S3_ENDPOINT',
  's3-region': 'SCWEB_S3_REGION',
  's3-prefix': 'SCWEB_S3_PREFIX',
  'max-upload': 'SCWEB_MAX_UPLOAD',
  'base-url': 'SCWEB_BASE_URL',
  'expires-days': 'SCWEB_EXPIRES_DAYS',
  'rate-limit': 'SCWEB_RATE_LIMIT',
  'trust-proxy': 'SCWEB_TRUST_PROXY',
};

export async function serveCommand(args: string[]): Promise<number> {
  const p = parseArgs(args, FLAGS);
  if (p.positionals.length) throw new UsageError(`serve takes no file, got "${p.positionals[0]}"`);
  for (const [flag, env] of Object.entries(ENV)) if (!p.flags.has(flag) && process.env[env]) p.flags.set(flag, process.env[env]!);

  const port = intFlag(p, 'port', 8080);
  const host = p.flags.get('host') ?? 'localhost';
  const maxUpload = p.flags.has('max-upload') ? parseSize(p.flags.get('max-upload')!) : DEFAULTS.maxUploadBytes;
  if (!maxUpload) throw new UsageError(`--max-upload must be a size such as 2GiB, 500M or 1048576, got "${p.flags.get('max-upload')}"`);
  const maxExpiresDays = intFlag(p, 'expires-days', DEFAULTS.maxExpiresDays);
  if (maxExpiresDays < 1) throw new UsageError('--expires-days must be at least 1');
  const rateLimitMax = intFlag(p, 'rate-limit', DEFAULTS.rateLimitMax);
  const baseUrl = p.flags.get('base-url')?.replace(/\/+$/, '');
  if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl)) throw new UsageError(`--base-url must be an http(s) URL, got "${baseUrl}"`);

  let store: ShareStore;
  let stagingDir: string;
  const bucket = p.flags.get('s3-bucket');
  if (bucket) {
    store = new S3Store({ bucket, endpoint: p.flags.get('s3-endpoint'), region: p.flags.get('s3-region') ?? process.env.AWS_REGION, prefix: p.flags.get('s3-prefix') });
    stagingDir = await mkdtemp(join(tmpdir(), 'scweb-staging-'));
  } else {
    const data = resolve(p.flags.get('data') ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local/share'), 'scweb'));
    store = new FsStore(join(data, 'shares'));
    stagingDir = join(data, 'staging');
  }
  const appDir = resolve(p.flags.get('app') ?? fileURLToPath(new URL('../../dist', import.meta.url)));
  if (!existsSync(join(appDir, 'index.html'))) console.error(`scweb: warning: ${appDir} holds no built app (run \`make build\`); serving the share API only`);

  const app = await buildApp({
    ...DEFAULTS,
    store,
    stagingDir,
    appDir,
    baseUrl,
    maxUploadBytes: maxUpload,
    maxExpiresDays,
    rateLimitMax,
    trustProxy: ['1', 'true', 'yes'].includes((p.flags.get('trust-proxy') ?? '').toLowerCase()),
    now: () => new Date(),
    logger: false,
  });
  await app.listen({ port, host });
  const shown = baseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  console.error(`scweb: serving ${appDir} and the share API at ${shown}/ (shares: ${store.describe()}, uploads up to ${maxUpload} bytes, kept ${maxExpiresDays} days)`);
  await new Promise<void>((done) => {
    const stop = () => void app.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
