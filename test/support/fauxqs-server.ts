// Runs fauxqs in its own process (it is ESM-only, which jest's CommonJS sandbox cannot import)
// and prints its port as one JSON line; stops when its parent closes stdin.
import '../../lib/config/quiet-warnings';
import { startFauxqs } from '../../lib/local/emulators';

startFauxqs(0)
  .then((server) => {
    process.stdout.write(`${JSON.stringify({ port: Number(new URL(server.endpoint).port) })}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
  })
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
