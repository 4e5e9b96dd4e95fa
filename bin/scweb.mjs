#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader: one source of truth, no build step.
// The command runs in a child process that this one watches (src/cli/supervise.ts): a damaged
// file that makes HDF5 loop forever ends the command with a message instead of hanging it.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
// `serve` is not run under the watch: a server is long-lived, its process is the one a service
// manager or a test watches, and the one file it reads (an upload's check) is read in a worker
// thread it can stop itself.
const unwatched = args[0] === 'serve';
if (process.env.SCWEB_H5_WATCH_FD) {
  // A supervisor killed outright (SIGKILL, an OOM kill) cannot end its child: the child notices.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(137), 1000).unref();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(args);
} else {
  const { h5TimeoutOf, supervise } = await import('../src/cli/supervise.ts');
  const { USAGE, UsageError } = await import('../src/cli/usage.ts');
  let watch;
  try {
    watch = h5TimeoutOf(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`scweb: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (watch.seconds === 0 || unwatched) {
    const { main } = await import('../src/cli/main.ts');
    process.exitCode = await main(watch.rest);
  } else {
    process.exitCode = await supervise(fileURLToPath(import.meta.url), watch.rest, watch.seconds);
  }
}
