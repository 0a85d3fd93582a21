// Layering (../shared/STYLE.md): core is pure, only the extension sees vscode.
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const vscode = { group: ['vscode'], message: 'Only src/extension may import vscode.' };
const dockerode = { group: ['dockerode', 'docker-modem'], message: 'Only src/docker talks to the daemon.' };
const up = (dir) => ({ group: [`**/${dir}/*`], message: `This layer must not depend on src/${dir}.` });

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
  { files: ['src/protocol/**/*.ts'], rules: restrict([vscode, dockerode]) },
);
