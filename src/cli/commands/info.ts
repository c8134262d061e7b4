/**
 * `nca-lab info`: what this installation is and which tfjs backend it gets (docs/architecture.md, "Compute":
 * tensorflow → wasm → cpu, the one in use shown to the user), and where the workspace is.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { isBackendName } from '../../core/backend';
import { initNodeBackend } from '../../services/compute/backend';
import { describeSurvey, surveyGpus } from '../../services/compute/gpu-adapters';
import { resolveEngine } from '../../services/compute/engine-choice';
import { packageVersion, resourcesDir } from '../../services/resources/package-paths';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';
import { counted } from '../../shared/words';

export const infoCommand: Command = {
  summary: 'versions, platform, cores, the tfjs backend in use (and why others were skipped), the GPU adapters and the engine auto picks, workspace',
  usage: `nca-lab info [--json] [--backend tensorflow|wasm|cpu] [--workspace DIR]

Prints the lab's version, Node's, the platform, the number of cores, the tfjs backend this machine gets
(tried in the order tensorflow → wasm → cpu; NCA_LAB_BACKEND or --backend forces one) with the reason
each earlier one was skipped, the GPU adapters WebGPU (Dawn) sees here with their limits and why the lab
would refuse one, the compute engine \`--engine auto\` picks and why, the workspace and the resources folder.

  --json            one JSON object instead of text
  --backend NAME    force a backend (an error if it cannot initialise, never a silent fallback)`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, backend: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
    if (values.backend !== undefined && !isBackendName(values.backend)) {
      throw new UsageError(`--backend must be one of tensorflow, wasm, cpu, got "${values.backend}"`);
    }
    const backend = await initNodeBackend(values.backend);
    const gpus = await surveyGpus();
    const auto = await resolveEngine('auto', async () => gpus);
    const report = {
      version: packageVersion(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cores: availableParallelism(),
      tfjs: tf.version.tfjs,
      backend: backend.name,
      skippedBackends: backend.skipped,
      gpu: gpus,
      engineAuto: auto.record,
      workspace: resolveWorkspaceDir(values.workspace),
      resources: resourcesDir(),
    };
    if (values.json) {
      io.out(JSON.stringify(report));
      return 0;
    }
    io.out(`nca-lab    ${report.version}`);
    io.out(`node       ${report.node}`);
    io.out(`platform   ${report.platform} ${report.arch}`);
    io.out(`cores      ${report.cores}`);
    io.out(`tfjs       ${report.tfjs}`);
    io.out(`backend    ${report.backend}`);
    for (const s of report.skippedBackends) io.out(`  skipped  ${s.name}: ${s.reason}`);
    io.out(`gpu        ${gpus.dawn.loaded ? `Dawn ${gpus.dawn.version}, ${counted(gpus.adapters.length, 'adapter')}` : 'none'}`);
    for (const line of describeSurvey(gpus)) io.out(`  ${line}`);
    io.out(`engine     auto → ${auto.record.engine}${auto.record.adapter ? ` on ${auto.record.adapter}` : ''} (${auto.record.reason})`);
    io.out(`workspace  ${report.workspace}`);
    io.out(`resources  ${report.resources}`);
    return 0;
  },
};
