/**
 * Run by gpu-device.test.ts in a child process that sees SwiftShader (Dawn reads the loader's path when the
 * process starts): provokes the failures a run must report (a buffer over the adapter's limit, a device that is
 * gone) and prints each message as one JSON line.
 */
/// <reference types="@webgpu/types" />
import { pickAdapter, surveyGpus } from '../../../../src/services/compute/gpu-adapters';
import { GpuDevice } from '../../../../src/services/compute/gpu-device';

const messageOf = async (f: () => Promise<unknown>): Promise<string> => {
  try {
    await f();
    return 'no error';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
};

const adapter = pickAdapter(await surveyGpus(), true);
if (!adapter) throw new Error('no adapter');
const device = await GpuDevice.open(adapter);
const tooBig = device.maxBinding + 16;
const overLimit = await messageOf(() => device.createBuffers([{ label: 'states', size: tooBig, usage: GPUBufferUsage.STORAGE }]));
const [ok] = await device.createBuffers([{ label: 'losses', size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }]);
device.destroy();
// the loss arrives asynchronously (an event): once it has, a read or a new buffer must fail, never hang
await device.whenLost();
const afterLoss = await messageOf(() => device.createBuffers([{ label: 'params', size: 64, usage: GPUBufferUsage.STORAGE }]));
const readAfterLoss = await messageOf(() => device.read(ok, 64));
console.log(JSON.stringify({ adapter: adapter.name, limit: device.maxBinding, overLimit, afterLoss, readAfterLoss }));
process.exit(0);
