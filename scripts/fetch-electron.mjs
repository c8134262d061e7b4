// Electron ≥ 42 downloads its binary lazily on first run; `electron-vite dev/preview` does not trigger that
// download, so try it here once. Machines without internet (CI) keep going: the lab's CLI, the browser UI
// (`nca-lab serve`) and every test work without the Electron binary.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

if (process.env.CI || process.env.NCA_LAB_SKIP_ELECTRON_DOWNLOAD) process.exit(0);
const require = createRequire(import.meta.url);
let installScript;
try {
  installScript = require.resolve('electron/install.js');
} catch {
  process.exit(0);
}
const child = spawn(process.execPath, [installScript], { stdio: 'ignore' });
const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
child.on('exit', (code) => {
  clearTimeout(timer);
  if (code !== 0) {
    console.warn('nca-lab: the Electron binary could not be downloaded now; `npm start` will need it ' +
      '(run `node node_modules/electron/install.js` with internet). The CLI and `nca-lab serve` work without it.');
  }
  process.exit(0);
});
child.on('error', () => process.exit(0));
