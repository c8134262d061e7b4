/**
 * The views the navigation lists. Only real views belong here: a view appears in the menu when it works,
 * never as a placeholder. Later views (Runs, Playground, Experiments, Compare) are added to this list.
 */
import type { Component } from 'vue';
import TargetsView from './TargetsView.vue';

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
    id: 'targets',
    label: 'Targets',
    description: 'The images a cellular automaton learns to grow: built-in emoji and your own.',
    component: TargetsView,
  },
];
