// Layering (../shared/STYLE.md): core is pure, only the extension sees vscode;
// inside core, each domain folder imports only the folders below it
// (src/core/README.md draws the picture).
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const vscode = { group: ['vscode'], message: 'Only src/extension may import vscode.' };
const dockerode = { group: ['dockerode', 'docker-modem'], message: 'Only src/docker talks to the daemon.' };
const up = (dir) => ({ group: [`**/${dir}/*`, `**/src/${dir}/*`], message: `This layer must not depend on src/${dir}.` });

/** What each folder of src/core may import (besides itself): the layers below it. */
const CORE = {
  util: [],
  image: ['util'],
  layers: ['util', 'image'],
  registry: ['util', 'image', 'layers'],
  sources: ['util', 'image', 'layers', 'registry'],
  diff: ['util', 'image', 'layers'],
  packages: ['util', 'image', 'layers'],
  run: ['util'],
  findings: ['util', 'image', 'layers', 'diff', 'packages', 'run'],
  report: ['util', 'image', 'layers', 'diff', 'packages', 'run', 'findings'],
};
const coreBase = [vscode, dockerode, up('docker'), up('cli'), up('extension')];
const coreFolder = (dir) => ({
  files: [`src/core/${dir}/**/*.ts`],
  rules: restrict([
    ...coreBase,
    ...Object.keys(CORE)
      .filter((d) => d !== dir && !CORE[dir].includes(d))
      .map((d) => ({ group: [`**/core/${d}/*`, `../${d}/*`, `../../${d}/*`], message: CORE[dir].length ? `src/core/${dir} may import only ${CORE[dir].join(', ')} from core (src/core/README.md).` : `src/core/${dir} imports nothing else from core (src/core/README.md).` })),
  ]),
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      ...restrict(coreBase),
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Library code never exits the process.' }],
    },
  },
  ...Object.keys(CORE).map(coreFolder),
  { files: ['src/docker/**/*.ts'], rules: restrict([vscode, up('cli'), up('extension')]) },
  { files: ['src/cli/**/*.ts'], rules: restrict([vscode, up('extension')]) },
  { files: ['src/protocol/**/*.ts'], rules: restrict([vscode, dockerode, up('docker'), up('cli'), up('extension')]) },
  // The webview runs in the browser: the protocol's and the engine's types only, never their code.
  {
    files: ['webview/**/*.ts'],
    rules: {
      ...restrict([vscode, dockerode, up('docker'), up('cli'), up('extension')]),
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      'no-restricted-syntax': ['error', { selector: "ImportDeclaration[importKind!='type'][source.value=/src\\u002f(core|protocol)/]", message: 'The webview imports types only from src/ (import type).' }, { selector: "AssignmentExpression[left.property.name='innerHTML']", message: 'Text from containers goes in as text: use textContent.' }],
    },
  },
);
