/**
 * Every `nca-lab` subcommand, by name. To add one: write commands/NAME.ts exporting a `Command`
 * (see ../command.ts) and add one line here. `nca-lab --help` lists them in this order.
 */
import type { Command } from '../command';
import { infoCommand } from './info';
import { trainCommand } from './train';
import { resumeCommand } from './resume';
import { benchCommand } from './bench';
import { experimentCommand } from './experiment';
import { reproduceCommand } from './reproduce';
import { growCommand } from './grow';
import { importCommand } from './import';
import { exportCommand } from './export';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { sweepCommand } from './sweep';
import { targetCommand } from './target';
import { targetsCommand } from './targets';
import { workerCommand } from './worker';

export const COMMANDS: Readonly<Record<string, Command>> = {
  info: infoCommand,
  train: trainCommand,
  resume: resumeCommand,
  bench: benchCommand,
  experiment: experimentCommand,
  reproduce: reproduceCommand,
  sweep: sweepCommand,
  grow: growCommand,
  import: importCommand,
  export: exportCommand,
  targets: targetsCommand,
  target: targetCommand,
  runs: runsCommand,
  serve: serveCommand,
  worker: workerCommand,
};
