/**
 * A child process for the run-lock race (run-lock.test.ts): makes `claims` simultaneous acquireRunLock calls for
 * one run when its parent says "go", reports each outcome, and holds what it won until the parent says "done".
 * With `hold`, it claims once, says so and waits to be killed (a lock left behind by a SIGKILL).
 */
import { acquireRunLock, type RunLock } from '../../../../src/services/training/run-lock';

const [runDir, claims, mode] = process.argv.slice(2);
const send = (m: unknown) => process.send!(m);

if (mode === 'hold') {
  void acquireRunLock(runDir!, 'race').then(() => send({ held: process.pid }));
  setInterval(() => undefined, 1000);
} else {
  let won: RunLock[] = [];
  process.on('message', (m) => {
    if (m === 'go') {
      void Promise.all(Array.from({ length: Number(claims) }, () => acquireRunLock(runDir!, 'race').then(
        (lock) => ({ lock, error: null }),
        (err: Error) => ({ lock: null, error: `${err.name}: ${err.message}` }),
      ))).then((outcomes) => {
        won = outcomes.flatMap((o) => (o.lock ? [o.lock] : []));
        send({ pid: process.pid, won: won.length, refusals: outcomes.flatMap((o) => (o.error ? [o.error] : [])) });
      });
    } else if (m === 'done') {
      void Promise.all(won.map((l) => l.release())).then(() => process.exit(0));
    }
  });
  send('ready');
}
