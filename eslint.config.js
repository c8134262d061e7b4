// Lint for NCA Lab: the layer rule (tools/eslint-layers.mjs) on every source file, typescript-eslint's and
// eslint-plugin-vue's recommended rules on top. `npm run lint` runs it; `npm test` runs it first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import layers from './tools/eslint-layers.mjs';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'src/core/nca/mlp-kernel.wasm.ts', 'tests/e2e/screenshots/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { nca: layers },
    rules: {
      'nca/layers': 'error',
      // TypeScript checks names (typescript-eslint's advice): no-undef does not know DOM/TS-only globals
      'no-undef': 'off',
      // layout is the formatter's business (.editorconfig, .prettierrc.json), not the linter's
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/html-closing-bracket-newline': 'off',
      // `any` stays allowed where a map is keyed by kind with payloads of every shape (the WorkerPool's job maps,
      // chart.js' registry); everything else is typed
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // every browser test goes through tests/e2e/fixtures.ts, whose automatic check fails a test on any console
    // error or page error; importing Playwright's own `test` would skip it
    files: ['tests/e2e/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@playwright/test', importNames: ['test'], message: "import { test } from './fixtures' (it fails a test on console errors)" }] },
      ],
    },
  },
);
