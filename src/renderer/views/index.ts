/**
 * The views the navigation lists. Only real views belong here: a view appears in the menu when it works,
 * never as a placeholder. A run's detail is not in the menu: it opens from the Runs table (#/runs/<id>).
 */
import type { Component } from 'vue';
import CompareView from './CompareView.vue';
import ModelsView from './ModelsView.vue';
import NewRunView from './NewRunView.vue';
import OverlayView from './OverlayView.vue';
import PlaygroundView from './PlaygroundView.vue';
import RunsView from './RunsView.vue';
import TargetsView from './TargetsView.vue';
import SettingsView from './SettingsView.vue';
import SweepsView from './SweepsView.vue';

export interface LabView {
  /** also the address hash: #/targets */
  id: string;
  label: string;
  /** one line under the view's title */
  description: string;
  component: Component;
}

export const VIEWS: LabView[] = [
  {
    id: 'runs',
    label: 'Runs',
    description: 'Every training run of this workspace, live: sort, filter, select to compare, pause, resume, stop.',
    component: RunsView,
  },
  {
    id: 'new',
    label: 'New run',
    description: 'Start from a preset of the thesis or of Mordvintsev et al.; every setting can be changed.',
    component: NewRunView,
  },
  {
    id: 'overlay',
    label: 'Overlay',
    description: 'Several runs on one chart: ES and Adam compared by wall time and by evaluations.',
    component: OverlayView,
  },
  {
    id: 'sweeps',
    label: 'Sweeps',
    description: 'Many runs as one question: a grid of settings over several seeds, trained through the queue; each configuration\'s curves with their spread, the final losses, persistence and time to the goal, and the best configuration.',
    component: SweepsView,
  },
  {
    id: 'playground',
    label: 'Playground',
    description: 'Replay a saved model step by step from the seed, damage it, and see whether it heals; compare models side by side.',
    component: PlaygroundView,
  },
  {
    id: 'models',
    label: 'Models',
    description: 'Every model the workspace knows: built-in ones (the Distill demo\'s lizards, the lab\'s own), imports and the runs\' models and checkpoints. Open, GIF, export, import.',
    component: ModelsView,
  },
  {
    id: 'compare',
    label: 'Compare',
    description: 'Saved models under the thesis\'s experiments: growth, erasing, FGSM, the big canvas; curves, strips and settings side by side, exported as PNG, SVG and CSV. Or reproduce the whole study in one go.',
    component: CompareView,
  },
  {
    id: 'targets',
    label: 'Targets',
    description: 'The images a cellular automaton learns to grow: built-in emoji and your own.',
    component: TargetsView,
  },
  {
    id: 'settings',
    label: 'Settings',
    description: "Compute: this computer's cores and/or a cluster of machines running nca-lab worker; the GPU adapters and what a run's auto engine takes.",
    component: SettingsView,
  },
];
