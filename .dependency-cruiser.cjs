/**
 * Layer rules (docs/architecture.md, "Layers"): arrows point one way, inwards.
 * handlers (functions/, shared/http/, local/) -> use cases -> store / stripe / adapters -> domain.
 * Type-only imports are allowed across layers where noted: they leave no runtime edge.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle (type-only imports aside): a cycle means two modules are one.',
      from: { path: '^(shared|functions|infra|local|web|bench)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'shared/domain/ imports only itself, shared/zod.ts, shared/errors.ts and date/zod packages.',
      from: { path: '^shared/domain/' },
      to: {
        pathNot: [
          '^shared/domain/',
          '^shared/zod\\.ts$',
          '^shared/errors\\.ts$',
          '^node_modules/(zod|date-fns|@date-fns/[^/]+)/',
        ],
      },
    },
    {
      name: 'store-below-usecases',
      severity: 'error',
      comment: 'Data access never reaches up into use cases, HTTP, handlers or the local runner.',
      from: { path: '^shared/store/' },
      to: { path: '^(shared/(usecases|http|adapters)|functions|local|infra)/' },
    },
    {
      name: 'stripe-acl-below-usecases',
      severity: 'error',
      comment: 'Reading Stripe objects (shared/stripe/) knows nothing of use cases, HTTP or the store.',
      from: { path: '^shared/stripe/' },
      to: { path: '^(shared/(usecases|http|store)|functions|local|infra)/' },
    },
    {
      name: 'usecases-below-handlers',
      severity: 'error',
      comment: 'Use cases are called by handlers, never the other way round.',
      from: { path: '^shared/usecases/' },
      to: { path: '^(shared/http|functions|local|infra)/' },
    },
    {
      name: 'shared-below-edges',
      severity: 'error',
      comment: 'shared/ is used by functions/, local/, infra/ and bench/, never the reverse.',
      from: { path: '^shared/' },
      to: { path: '^(functions|local|infra|bench|test|web)/' },
    },
    {
      name: 'browser-code-alone',
      severity: 'error',
      comment: 'The dashboard bundle takes server shapes by `import type` only: no server code (or zod) in the browser.',
      from: { path: '^web/' },
      to: {
        path: '^(shared|functions|local|infra)/|^node_modules/zod/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-dynamodb-outside-store',
      severity: 'error',
      comment: 'DynamoDB commands are built only in shared/store/ (the local runner and bench set up tables through shared/store/table-admin.ts too).',
      from: { path: '^(shared/(?!store/)|functions/|web/)' },
      to: { path: '^node_modules/@aws-sdk/(client-dynamodb|lib-dynamodb)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.data|\\.bench|web/dist)' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
