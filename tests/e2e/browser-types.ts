/**
 * The few browser APIs the tests' in-page functions touch. tsconfig.node.json checks tests/e2e without the DOM
 * lib (adding it would let Node code use `document` unchecked), so in-page code casts `globalThis` and elements
 * to these shapes. Types only: nothing here may be used as a value inside page.evaluate.
 */
export interface CanvasInPage {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

export interface BrowserGlobals {
  getComputedStyle(element: unknown): { width: string; imageRendering: string };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
}

export interface ImageInPage {
  complete: boolean;
  naturalWidth: number;
}

export interface ElementInPage {
  scrollIntoView(): void;
}

/** DOMParser, enough to parse an exported SVG and count its elements. */
export interface SvgParserInPage {
  DOMParser: new () => {
    parseFromString(text: string, type: string): {
      querySelector(selector: string): unknown;
      querySelectorAll(selector: string): { length: number };
      documentElement: { nodeName: string };
    };
  };
}
