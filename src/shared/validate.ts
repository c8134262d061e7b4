/**
 * The validation toolkit for every boundary above the core (IPC requests, workspace files, CLI flags). It is
 * defined once, in src/core/validate.ts (the core's own formats use it too, and the core imports nothing above
 * it); this module is where the other layers take it from.
 */
export * from '../core/validate';
