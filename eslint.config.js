// ESLint flat config: a gate for real bugs, not style (Prettier owns the layout; dependency-cruiser owns
// the layer rules, see .dependency-cruiser.cjs). Type-aware through typescript-eslint's project service.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Tooling may read the environment and use anything; product code gets its settings from core/config.ts. */
const TOOLING = ['test/**', 'bench/**', 'scripts/**', 'harness/**', 'eval/**', 'fixtures/**', 'web/build.mjs', '*.config.js', '.dependency-cruiser.cjs'];

const envMessage = 'Read settings through core/config.ts (the only reader of the environment): add a validated field to its schema.';
const processEnvBan = {
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: envMessage },
    { object: 'globalThis', property: 'process', message: envMessage },
  ],
};
const envImportBan = [
  { name: 'process', importNames: ['env'], message: envMessage },
  { name: 'node:process', importNames: ['env'], message: envMessage },
];

const builtinMessage = 'Workflow code is deterministic and runs in the Temporal sandbox: no Node built-ins. Do the I/O in an activity.';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'web/dist/', '.tools/', '.data/', 'test-output/', 'scratch/', 'test/fixtures/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: {
        projectService: {
          // The few plain-JS files are in no tsconfig: they get a default project (types inferred from JS).
          // A new .js/.mjs/.cjs file elsewhere is reported as "not found by the project service": add its folder here.
          allowDefaultProject: ['*.js', '*.cjs', 'bin/*.js', 'scripts/*.mjs', 'web/*.mjs', 'library/ocr/*.cjs'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The bugs this gate is for.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // With verbatimModuleSyntax, `import { type A } from 'm'` still loads m at run time (as `import {} from 'm'`):
      // written as `import type`, nothing of activities/ enters the workflow bundle or of the API the web bundle.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      ...processEnvBan,
      'no-restricted-imports': ['error', { paths: envImportBan }],

      // Recommended rules that flag deliberate patterns of this code base rather than bugs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Values from JSON, pg rows and third-party callbacks are `any` by nature; zod validates them where it matters.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // An `async` function without `await` is usually an interface being met (activities, handlers), not a bug.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Passing on whatever a rejected promise or an AbortSignal carried is fine.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // The PDF text clean-up strips invisible characters (variation selectors, joiners) on purpose.
      'no-misleading-character-class': 'off',
    },
  },
  {
    // Plain JavaScript: no type annotations to check against, so the rules that need them would only guess.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['web/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    // Lit calls `@event=${this.handler}` listeners with `this` bound to the element.
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['workflows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...envImportBan, ...builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: builtinMessage }))],
          patterns: [{ group: ['node:*'], message: builtinMessage }],
        },
      ],
    },
  },
  {
    // The one reader of the environment.
    files: ['core/config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The embedded stack looks the Temporal CLI up on PATH (like a shell would); nothing else of the environment.
    files: ['app/embedded/temporal.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'globalThis', property: 'process', message: envMessage }],
      'no-restricted-syntax': [
        'error',
        {
          selector: ":not(MemberExpression[property.name='PATH']) > MemberExpression[object.name='process'][property.name='env']",
          message: `Only process.env.PATH may be read here. ${envMessage}`,
        },
        { selector: "VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name='env']", message: envMessage },
      ],
    },
  },
  {
    files: TOOLING,
    rules: {
      'no-restricted-properties': 'off',
      'no-restricted-imports': 'off',
      // Tests poke at mocks, fixtures and loosely typed results on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
);
