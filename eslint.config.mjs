// Lint for what the type checker does not catch: promises nobody awaits (a lost send, an unhandled rejection).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'console/**', 'node_modules/**', 'data/**', 'test-output/**'] },
  { files: ['src/**/*.ts'], extends: [tseslint.configs.recommended] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // An underscore says "unused on purpose" (an express error handler's next, a rest-destructure's leftovers).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
);
