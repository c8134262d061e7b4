/**
 * The GPU bench pack's program (scripts/gpu-pack.mjs, run by run-gpu-bench.sh on a GPU server): `nca-lab info`
 * and `nca-lab bench` only, so its bundle holds none of the native image libraries the other commands load
 * (@napi-rs/canvas for figures, sharp for imported images), which a pack for a machine without a package
 * registry could not carry.
 */
import { dispatch } from './index';
import { infoCommand } from './commands/info';
import { benchCommand } from './commands/bench';

process.exitCode = await dispatch({ info: infoCommand, bench: benchCommand }, process.argv.slice(2));
