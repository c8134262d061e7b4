/**
 * The house's layer rule as an ESLint rule: each layer of src/ imports only the layers below it
 * (docs/architecture.md, "Layers"):
 *
 *   core ← shared ← services ← cli | main | worker | renderer        (preload sees shared only)
 *
 * A relative import is resolved against the importing file, so `../../services/x` from src/core is caught
 * however it is spelt. Packages are checked too where a layer must stay free of them: the core and shared run
 * in every process and the renderer, so they take no `node:` module and no Electron; only src/main and
 * src/preload take Electron.
 */
import { dirname, relative, resolve, sep } from 'node:path';

/** Which layers each layer may import (itself included). */
export const LAYERS = {
  core: ['core'],
  shared: ['core', 'shared'],
  services: ['core', 'shared', 'services'],
  cli: ['core', 'shared', 'services', 'cli'],
  main: ['core', 'shared', 'services', 'main'],
  worker: ['core', 'shared', 'services', 'worker'],
  renderer: ['core', 'shared', 'renderer'],
  preload: ['shared', 'preload'],
};

const PURE = new Set(['core', 'shared', 'renderer', 'preload']);
const ELECTRON = new Set(['main', 'preload']);

/** The layer of a path inside `<root>/src/`, or null outside it. */
export function layerOf(file, root) {
  const rel = relative(resolve(root, 'src'), file);
  if (rel.startsWith('..') || rel === '') return null;
  const first = rel.split(sep)[0];
  return first in LAYERS ? first : null;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'each layer of src/ imports only the layers below it (docs/architecture.md)' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      upward: '{{from}} may not import {{to}} ("{{spec}}"): {{from}} imports only {{allowed}} (docs/architecture.md, "Layers")',
      pkg: '{{from}} may not import "{{spec}}": {{why}} (docs/architecture.md, "Layers")',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = layerOf(file, root);
    if (!from) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      if (spec.startsWith('.')) {
        const to = layerOf(resolve(dirname(file), spec), root);
        if (to && !LAYERS[from].includes(to)) {
          context.report({ node, messageId: 'upward', data: { from, to, spec, allowed: LAYERS[from].join(', ') } });
        }
        return;
      }
      if (spec === 'electron' && !ELECTRON.has(from)) {
        context.report({ node, messageId: 'pkg', data: { from, spec, why: 'only main and preload talk to Electron' } });
      } else if (spec.startsWith('node:') && PURE.has(from) && from !== 'preload') {
        context.report({ node, messageId: 'pkg', data: { from, spec, why: `${from} runs in every process and the page, so it takes no Node module` } });
      }
    };
    const source = (node) => { if (node.source) check(node.source, node.source.value); };
    return {
      ImportDeclaration: source,
      ExportNamedDeclaration: source,
      ExportAllDeclaration: source,
      ImportExpression: (node) => { if (node.source.type === 'Literal') check(node.source, node.source.value); },
      TSImportType: (node) => {
        const lit = node.argument?.literal ?? node.argument;
        if (lit && lit.type === 'Literal') check(node, lit.value);
      },
    };
  },
};

export default { rules: { layers: rule } };
