/**
 * `nca-lab import FILE…`: models from files into the workspace's models/ (services/models/model-library.ts), in
 * the lab's own format, each grown once to record its 40/200/1000-update losses and a thumbnail. Reads the
 * Distill demo's files (`public/webgl_models8/*.json`, credited as CC-BY 4.0 asks) and any model the lab reads.
 */
import { importModelFiles, type LibraryModel } from '../../services/models/model-library';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';

export const importCommand: Command = {
  summary: 'import model files into the workspace: Distill demo JSON, model folders, checkpoints',
  usage: `nca-lab import FILE [FILE…] [--json] [--workspace DIR]

Imports each FILE as a model of the workspace (<workspace>/models/<id>/: model.json, weights.bin and a
thumbnail), which \`nca-lab grow ID\`, the Playground and the Models view then offer. FILE is:

  a Distill demo model   a JSON array of two layers {data_b64, in_ch, out_ch, weight_scale, bias_scale, type}
                         (distillpub/post--growing-ca, public/webgl_models8/ex{1,2,3}_<emoji>.json). The lizards
                         are set to their target, lizard-2018-40 on the 72×72 canvas; the source (file, licence
                         CC-BY 4.0, the article's attribution) is kept with the model.
  an NCA Lab model       a model folder, its model.json, a run folder or a checkpoint file

Each import is grown once from the seed (replay seed 0, no damage) and its RGBA loss after 40, 200 and 1000
updates recorded.

  --json   one JSON object {"models":[…]}`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('missing FILE (a Distill demo model .json, a model folder or a checkpoint)');
    const models = await importModelFiles(resolveWorkspaceDir(values.workspace), positionals);
    if (values.json) {
      io.out(JSON.stringify({ models: models.map(summary) }));
      return 0;
    }
    for (const m of models) {
      const e = m.evaluation;
      const losses = e ? `loss t=40 ${fmt(e.loss40)}  t=200 ${fmt(e.loss200)}  t=1000 ${fmt(e.loss1000)} on ${e.canvas}×${e.canvas}` : 'no target known: no loss';
      io.out(`imported ${m.id}: ${m.name}, ${m.paramCount} parameters (hidden ${m.nca.hidden}), target ${m.target?.name ?? 'unknown'}; ${losses}`);
      if (m.origin?.licence) io.out(`  ${m.origin.licence}: ${m.origin.attribution}`);
    }
    return 0;
  },
};

function fmt(v: number | null): string {
  return v === null ? '-' : v.toExponential(3);
}

function summary(m: LibraryModel) {
  return { id: m.id, name: m.name, dir: m.dir, nca: m.nca, paramCount: m.paramCount, target: m.target, origin: m.origin, evaluation: m.evaluation, thumbnail: m.thumbnail };
}
