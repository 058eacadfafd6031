/**
 * The layer rules of the tree (issue 11), checked by `npm run lint` and by test/layers.test.ts.
 *
 *   app → api | workers | services → activities → library + stores → core
 *   workflows → core/contract, and activities by `import type` only (the workflow bundle stays free of I/O)
 *   web/src → `import type` from api/contract and core/contract only (nothing server-side enters the bundle),
 *     and core/contract/review-text.ts as code (pure words shared with the workbook)
 *   tooling (test, bench, scripts, harness, web/build.mjs) may import anything; product code never imports tooling.
 *
 * Each product folder lists the folders it may import; an import of any other of our folders is an error,
 * and so is any cycle.
 */
const TOOLING = ['test', 'bench', 'scripts', 'harness', 'eval', 'fixtures'];

/** Product folder → the folders (or sub-folders) its files may import, besides its own. */
const ALLOWED = {
  core: [],
  library: ['core'],
  stores: ['core'],
  activities: ['library', 'stores', 'core'],
  workflows: ['core/contract', 'activities'], // activities: type-only, see below
  services: ['stores', 'core', 'workflows'], // workflows: type-only, see below
  workers: ['activities', 'library', 'stores', 'core'],
  api: ['services', 'library', 'stores', 'core'],
  'web/src': ['api/contract', 'core/contract'], // type-only, see below
  app: ['api', 'workers', 'services', 'activities', 'library', 'stores', 'core', 'workflows'],
  bin: ['app'],
};

const OURS = [...Object.keys(ALLOWED).filter((f) => f !== 'web/src'), 'web', ...TOOLING, 'migrations'];
const alt = (folders) => `^(${folders.map((f) => f.replace(/[/.]/g, '\\$&')).join('|')})/`;

const layerRules = Object.entries(ALLOWED).map(([from, allowed]) => ({
  name: `layer-${from.replace('/', '-')}`,
  comment: `${from}/ may import only ${allowed.length ? allowed.join(', ') : 'itself'}`,
  severity: 'error',
  from: { path: alt([from]) },
  to: { path: alt(OURS), pathNot: alt([from, ...allowed]) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No cycles anywhere: a cycle means two modules are one module in two files (or one of them is in the wrong layer).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-activities-type-only',
      comment: 'Workflows see activities through `import type` only (proxyActivities<T>); a value import would pull I/O into the deterministic bundle.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-built-ins',
      comment: 'Workflow code runs in the Temporal sandbox: no Node built-ins.',
      severity: 'error',
      from: { path: '^(workflows|core/contract)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workflows-packages',
      comment: 'Workflows import no package but @temporalio/workflow (and @temporalio/common).',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
        pathNot: 'node_modules/@temporalio/(workflow|common)/',
      },
    },
    {
      name: 'services-workflows-type-only',
      comment: 'Services start workflows by name and may borrow their types; the workflow code itself runs only in a worker.',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^workflows/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-type-only',
      comment: 'The web bundle takes the API contract as types only (`import type`): nothing server-side enters it.',
      severity: 'error',
      from: { path: '^web/src/' },
      // Except the plain words of the review and of de-identification, pure and dependency-free, so the screen
      // and the workbook say the same.
      to: { path: alt(['api', 'core']), pathNot: '^core/contract/(review|deid)-text\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-not-activities',
      comment: 'The API and the CLI never import activities/ (they use services and the library).',
      severity: 'error',
      from: { path: '^app/cli\\.ts$' },
      to: { path: '^activities/' },
    },
    {
      name: 'product-not-tooling',
      comment: 'Product code never imports tests, benchmarks, scripts or the process harness.',
      severity: 'error',
      from: { path: alt(OURS.filter((f) => !TOOLING.includes(f))), pathNot: '^web/build\\.mjs$' },
      to: { path: alt(TOOLING) },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'A relative import that points nowhere.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^\\.\\.?/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|web/dist|\\.tools|\\.data|test/fixtures|test-output|scratch)/' },
    // Keep `import type` edges in the graph (marked type-only) so the type-only rules can see them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
