/**
 * A copy of one scope's rows of a small-row collection (an org's routes, a 微信客服 account's sessions), for the
 * pages of a fan-out that ask about hundreds of addresses at once. On FerretDB each address is a query of its own
 * (models/manyValues.ts): a county's 60,000 notes cost 60,000 reads of each such collection, most of the fan-out's
 * database work. From `from` addresses on, the scope is read whole in one query instead and kept `keepMs` of real
 * time; the rows this process writes meanwhile are applied to it (`wrote`), so only another instance's writes can
 * be missing, for `keepMs` at most. Fewer addresses (a reply, a notice) are read one by one, as before.
 *
 * For rows that say when a person was last heard: per key and identity, the row with the latest `lastInboundAt`
 * is the one kept.
 */
interface Heard { lastInboundAt: Date }

export interface ScopeCopyOptions<R extends Heard> {
  /** Addresses asked at once from which the whole scope is read. */
  from: number;
  keepMs: number;
  /** The address a row answers for. */
  key(row: R): string;
  /** Whether two rows of one address are the same record (e.g. the same channel). */
  same(a: R, b: R): boolean;
  readAll(scope: string): Promise<R[]>;
}

export class ScopeCopy<R extends Heard> {
  private readonly copies = new Map<string, { rows: Promise<Map<string, R[]>>; at: number }>();

  constructor(private readonly opts: ScopeCopyOptions<R>) {}

  /** The rows of these addresses: from the scope's copy when there is one or this many are asked, else `readSome`. */
  async find(scope: string, keys: readonly string[], readSome: (keys: string[]) => Promise<R[]>): Promise<R[]> {
    const wanted = [...new Set(keys)];
    let copy = this.copies.get(scope);
    // Real time: the age of the copy, whatever the bot's clock says.
    if (copy && Date.now() - copy.at >= this.opts.keepMs) {
      this.copies.delete(scope);
      copy = undefined;
    }
    if (!copy && wanted.length >= this.opts.from) {
      const made = { rows: this.opts.readAll(scope).then((rows) => this.group(rows)), at: Date.now() };
      made.rows.catch(() => { if (this.copies.get(scope) === made) this.copies.delete(scope); });
      this.copies.set(scope, made);
      copy = made;
    }
    if (!copy) return readSome(wanted);
    const rows = await copy.rows;
    return wanted.flatMap((k) => rows.get(k) ?? []);
  }

  /** This process wrote `row` (after the write returned): the copy, if any, holds it from now on. */
  wrote(scope: string, row: R): void {
    // Applied once the copy is read: a read that started before the write may not hold it.
    this.copies.get(scope)?.rows.then((rows) => this.put(rows, row), () => undefined);
  }

  private group(rows: R[]): Map<string, R[]> {
    const out = new Map<string, R[]>();
    for (const row of rows) this.put(out, row);
    return out;
  }

  private put(rows: Map<string, R[]>, row: R): void {
    const key = this.opts.key(row);
    const mine = rows.get(key) ?? [];
    const old = mine.find((r) => this.opts.same(r, row));
    if (old && old.lastInboundAt >= row.lastInboundAt) return;
    rows.set(key, [...mine.filter((r) => r !== old), row]);
  }
}
