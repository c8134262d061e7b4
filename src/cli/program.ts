/**
 * `nca-lab` as a program: the arguments to main(), its exit code to the process. bin/nca-lab.js runs it from the
 * sources through tsx; the GPU bench pack (scripts/gpu-pack.mjs) runs it bundled, with a plain Node.
 */
import { main } from './index';

// `nca-lab runs | head`: a reader that closes the pipe early is not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
