// Layering (../shared/STYLE.md): core is pure, only the extension sees vscode.
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const vscode = { group: ['vscode'], message: 'Only src/extension may import vscode.' };
const dockerode = { group: ['dockerode', 'docker-modem'], message: 'Only src/docker talks to the daemon.' };
const up = (dir) => ({ group: [`**/${dir}/*`, `**/src/${dir}/*`], message: `This layer must not depend on src/${dir}.` });

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
      ...restrict([vscode, dockerode, up('docker'), up('cli'), up('extension')]),
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Library code never exits the process.' }],
    },
  },
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
