// `make start`: runs `scweb serve` (the built app and the share API, shares kept in .scweb-data/)
// and prints its URL only once the server answers, so a user never opens a link that is not there
// yet. Ctrl-C stops the server with it.
import { spawn } from 'node:child_process';

const argPort = process.argv.indexOf('--port');
const port = Number(argPort > 0 ? process.argv[argPort + 1] : 4173);
const url = `http://localhost:${port}/`;

const server = spawn(process.execPath, ['bin/scweb.mjs', 'serve', '--port', String(port), '--host', 'localhost', '--data', process.env.SCWEB_DATA ?? '.scweb-data'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stop = () => server.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code) => process.exit(code ?? 0));

const deadline = Date.now() + 60_000;
for (;;) {
  try {
    const res = await fetch(url);
    if (res.ok) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.error(`scWeb: the server did not answer at ${url} within 60 s`);
    stop();
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`scWeb is served at ${url} with share links (shares kept in .scweb-data/; Ctrl-C to stop)`);
