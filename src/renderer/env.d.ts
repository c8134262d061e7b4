/// <reference types="vite/client" />
import type { LabApi } from '../shared/lab-api';

declare global {
  interface Window {
    /** set by the Electron preload; absent in a plain browser (then lib/lab.ts uses the bridge) */
    lab?: LabApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
