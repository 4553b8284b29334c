/**
 * The queries on the hot paths (a message in → its reply out; a delivery; a scheduler tick), each with the index
 * that serves it on MongoDB. One list, checked by test/hotQueries.test.ts against the schemas, so an index is not
 * dropped or a hot query added without one. (FerretDB 1.24 scans collections whatever the index: there, what keeps
 * these fast is that the collections they read stay small — see bot/outboxArchive.ts.)
 */
export interface HotQuery {
  /** Where it runs. */
  path: string;
  /** The mongoose model name. */
  model: string;
  /** Fields the query filters on by equality (or $in), then the one it sorts or ranges on, in index order. */
  index: Record<string, 1 | -1>;
  /** Collections read on a hot path must stay small on FerretDB: how this one does. */
  kept?: string;
}

export const HOT_QUERIES: HotQuery[] = [
  { path: 'inbound de-duplication (models/inboundLog firstSighting, a unique insert)', model: 'InboundLog', index: { orgId: 1, channel: 1, platformId: 1 }, kept: 'pruned after 7 days' },
  { path: 'who is writing (bot/sender resolvePerson)', model: 'Identity', index: { orgId: 1, address: 1 } },
  { path: 'their children (bot/sender resolvePerson)', model: 'FamilyMember', index: { orgId: 1, boundAddress: 1 } },
  { path: 'a dialog in progress (domain/dialogs)', model: 'ConversationState', index: { orgId: 1, address: 1 } },
  { path: 'routes a person wrote from (bot/router)', model: 'Route', index: { orgId: 1, address: 1, channel: 1 } },
  { path: 'binding by code (domain/binding)', model: 'FamilyMember', index: { orgId: 1, code: 1 } },
  { path: 'a family message naming a pupil who is not theirs (domain/roster, for handlers/otherChild): orgId + name $in, a prefix of the roster index', model: 'Child', index: { orgId: 1, name: 1, birthDate: 1 } },
  { path: 'wrong codes per address (domain/binding)', model: 'BindAttempt', index: { orgId: 1, address: 1, at: -1 }, kept: 'pruned after a day' },
  { path: 'enqueue: key unique in the queue (bot/outbox)', model: 'Outbox', index: { orgId: 1, key: 1 }, kept: 'sent messages archived after a day' },
  { path: 'delivery: page of due messages (bot/delivery)', model: 'Outbox', index: { status: 1, dueAt: 1 } },
  { path: 'delivery: due replies first (bot/delivery)', model: 'Outbox', index: { status: 1, kind: 1, dueAt: 1 } },
  { path: "delivery: what one inbound message caused, sent at once (bot/delivery)", model: 'Outbox', index: { cause: 1, status: 1 } },
  { path: 'delivery: crashed sends to take over (bot/delivery)', model: 'Outbox', index: { status: 1, lockedUntil: 1 } },
  { path: 'delivery: an older message to the same address first (bot/delivery)', model: 'Outbox', index: { orgId: 1, to: 1, status: 1 } },
  { path: 'simulator replies to a message (web/simRoutes)', model: 'SimMessage', index: { orgId: 1, inReplyTo: 1 } },
  { path: 'a quoted post (handlers/concernAnswer)', model: 'Outbox', index: { orgId: 1, platformMsgId: 1 } },
  { path: 'archiver: sent before T (bot/outboxArchive)', model: 'Outbox', index: { status: 1, sentAt: 1 } },
  { path: 'enqueue releases, delivery removes, a batch of messages (bot/outbox byBatch)', model: 'Outbox', index: { batch: 1 } },
  { path: 'open cases each tick (domain/concerns casesOnTheLadder, from the concern job)', model: 'Concern', index: { orgId: 1, status: 1 } },
  { path: 'notes due for delivery each tick (domain/notes)', model: 'ProgressNote', index: { orgId: 1, status: 1, period: 1 } },
  { path: 'note delivery: the family members of a page of notes (domain/notes)', model: 'FamilyMember', index: { orgId: 1, childId: 1, role: 1 } },
  { path: 'current pairings (domain/notes)', model: 'Pairing', index: { orgId: 1, childId: 1, until: 1 } },
];
