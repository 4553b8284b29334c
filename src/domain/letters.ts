/**
 * Letters (亲情书信): what the reminders leave behind. The monthly reminder to parents is keyed per month and
 * address, so the county report can tell from the outbox's keys which families were reminded in a month.
 */

/** The idempotency key of the month's letter reminder to one parent's address. */
export function parentLetterKey(period: string, address: string): string {
  return `letterParent:${period}:${address}`;
}
