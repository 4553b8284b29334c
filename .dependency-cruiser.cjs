/**
 * The import rules of docs/ARCHITECTURE.md, checked by `npm run lint:deps` (part of `npm test`). Type-only imports
 * are not counted: they leave nothing behind at run time.
 *
 * Not enforced yet (the domain layer will end them): handlers and scheduler import each other (notesCore,
 * concernCase), and the channel plugins take their ChannelPlugin type from src/app.ts.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other in a loop: one of them belongs elsewhere.',
      from: { path: '^src' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'channels-stay-thin',
      severity: 'error',
      comment: 'src/bot (channels, outbox, delivery, routing) never decides what to say or when: no handlers, jobs, web, imports.',
      from: { path: '^src/bot/' },
      to: { path: '^src/(handlers|scheduler|web|import|cli)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'handlers-never-touch-a-channel',
      severity: 'error',
      comment: 'Handlers reply and push through the context (the outbox), never through a channel.',
      from: { path: '^src/handlers/' },
      to: { path: '^src/bot/(wecom/|wechatyChannel|wechatyConfig|simulatorChannel|delivery)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'models-at-the-bottom',
      severity: 'error',
      comment: 'src/models is the floor: it imports no layer above it.',
      from: { path: '^src/models/' },
      to: { path: '^src/(bot|handlers|scheduler|web|import|cli|app\\.ts|index\\.ts|demo\\.ts)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'locales-at-the-bottom',
      severity: 'error',
      comment: 'Strings import no behaviour.',
      from: { path: '^src/locales/' },
      to: { path: '^src/(bot|handlers|scheduler|web|import|cli|models)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-only-from-the-top',
      severity: 'error',
      comment: 'Routes are mounted by src/app.ts; nothing below imports them.',
      from: { path: '^src/(bot|models|scheduler|handlers|import|locales)/' },
      to: { path: '^src/web/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
