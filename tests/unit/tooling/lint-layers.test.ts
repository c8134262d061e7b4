/**
 * The layer rule (tools/eslint-layers.mjs, docs/architecture.md "Layers") fails an import that runs up a layer,
 * whatever its spelling, and lets the allowed ones through. Linted through ESLint's own API with the project's
 * config, on fixture sources placed (virtually) in each layer.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'nca/layers').map((m) => m.message);
}

describe('the layer rule', () => {
  it('fails the core importing a layer above it, and the core taking a Node module', async () => {
    const errors = await layerErrors('src/core/nca/fixture.ts', [
      "import { LabStore } from '../../services/store/lab-store';",
      "import type { RunConfig } from '../../shared/training-config';",
      "import { readFile } from 'node:fs';",
      'export const x = [LabStore, readFile] as unknown as RunConfig;',
    ].join('\n'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^core may not import services \("..\/..\/services\/store\/lab-store"\): core imports only core/);
    expect(errors[1]).toMatch(/^core may not import shared/);
    expect(errors[2]).toMatch(/core may not import "node:fs"/);
  });

  it('fails the services importing the CLI or the worker, and the renderer importing the services', async () => {
    expect(await layerErrors('src/services/bench/fixture.ts', "import type { CommandIo } from '../../cli/command';\nexport type X = CommandIo;"))
      .toEqual([expect.stringMatching(/^services may not import cli/)]);
    expect(await layerErrors('src/services/training/fixture.ts', "export { esSliceJob } from '../../worker/jobs/es-slice';"))
      .toEqual([expect.stringMatching(/^services may not import worker/)]);
    expect(await layerErrors('src/renderer/lib/fixture.ts', "const m = await import('../../services/store/lab-store');\nexport default m;"))
      .toEqual([expect.stringMatching(/^renderer may not import services/)]);
    expect(await layerErrors('src/services/lab/fixture.ts', "import { app } from 'electron';\nexport default app;"))
      .toEqual([expect.stringMatching(/services may not import "electron": only main and preload talk to Electron/)]);
  });

  it('lets every downward import through', async () => {
    expect(await layerErrors('src/services/runs/fixture.ts', [
      "import { paramCount } from '../../core/nca/config';",
      "import type { RunConfig } from '../../shared/training-config';",
      "import { LabStore } from '../store/lab-store';",
      "import { readFile } from 'node:fs/promises';",
      'export const x = [paramCount, LabStore, readFile] as unknown as RunConfig;',
    ].join('\n'))).toEqual([]);
    expect(await layerErrors('src/cli/commands/fixture.ts', "import { LabStore } from '../../services/store/lab-store';\nexport default LabStore;")).toEqual([]);
    expect(await layerErrors('src/renderer/lib/fixture.ts', "import { messageOf } from '../../shared/validate';\nexport default messageOf;")).toEqual([]);
  });
});
