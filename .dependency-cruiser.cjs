/**
 * The import rules of docs/ARCHITECTURE.md, checked by `npm run lint:deps` (part of `npm test`). Type-only imports
 * are not counted: they leave nothing behind at run time.
 *
 * Not enforced yet: the channel plugins take their ChannelPlugin type from src/app.ts (type-only).
 */
/** A forbidden import: from files matching `from` to files matching `to`, type-only imports not counted. */
const never = (name, comment, from, to) => ({ name, severity: 'error', comment, from: { path: from }, to: { path: to, dependencyTypesNot: ['type-only'] } });

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other in a loop: one of them belongs elsewhere.',
      from: { path: '^src' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    never('channels-stay-thin', 'src/bot (channels, outbox, delivery, routing) never decides what to say or when: no domain, handlers, jobs, web, imports.',
      '^src/bot/', '^src/(domain|handlers|scheduler|web|import|cli)/'),
    never('domain-below-its-callers', 'src/domain owns the rules; handlers, jobs and routes call it, never the other way.',
      '^src/domain/', '^src/(handlers|scheduler|web|import|cli|app\\.ts|index\\.ts)'),
    never('domain-never-touches-a-channel', 'The domain pushes through the outbox (bot/notify, bot/outbox), never through a channel.',
      '^src/domain/', '^src/bot/(wecom/|wechatyChannel|wechatyConfig|simulatorChannel|delivery|router)'),
    never('handlers-and-jobs-meet-in-the-domain', 'What handlers and jobs share lives in src/domain: they never import each other.',
      '^src/handlers/', '^src/scheduler/'),
    never('jobs-never-import-handlers', 'What handlers and jobs share lives in src/domain: they never import each other.',
      '^src/scheduler/', '^src/handlers/'),
    never('routes-call-the-domain', 'Admin routes call the domain, not handlers or jobs.',
      '^src/web/', '^src/(handlers|scheduler)/'),
    never('handlers-ask-the-domain', 'Handlers understand the message, call src/domain and reply: the queries and writes live in the domain (type-only imports of model documents are fine).',
      '^src/handlers/', '^src/models/'),
    never('jobs-ask-the-domain', 'A job finds what is due, calls src/domain and pushes: the queries and writes live in the domain (type-only imports of model documents are fine). The lease and tick machinery (scheduler.ts) and housekeepingJobs.ts (pruning collections) are infrastructure and may use models.',
      '^src/scheduler/(?!housekeepingJobs\\.ts$)[^/]*Jobs\\.ts$', '^src/models/'),
    never('handlers-never-touch-a-channel', 'Handlers reply and push through the context (the outbox), never through a channel.',
      '^src/handlers/', '^src/bot/(wecom/|wechatyChannel|wechatyConfig|simulatorChannel|delivery)'),
    never('models-at-the-bottom', 'src/models is the floor: it imports no layer above it.',
      '^src/models/', '^src/(bot|domain|handlers|scheduler|web|import|cli|app\\.ts|index\\.ts|demo\\.ts)'),
    never('locales-at-the-bottom', 'Strings import no behaviour.',
      '^src/locales/', '^src/(bot|domain|handlers|scheduler|web|import|cli|models)/'),
    never('speech-stays-below', 'src/speech turns text into recordings; it never decides what to say or to whom: no bot, domain, handlers, jobs, web, import or models.',
      '^src/speech/', '^src/(bot|domain|handlers|scheduler|web|import|cli|models|locales)/|^src/(app|appContext|index|demo)\\.ts'),
    never('web-only-from-the-top', 'Routes are mounted by src/app.ts; nothing below imports them.',
      '^src/(bot|models|domain|scheduler|handlers|import|locales|speech)/', '^src/web/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
