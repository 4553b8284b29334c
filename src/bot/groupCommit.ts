/**
 * Group commit: what callers hand in while a write is running is gathered and written together by the next one.
 * The first call writes at once (nothing waits for a timer); under load, calls made during a write share the next
 * round trip. Delivery's claims and its moves to the archive use it: on FerretDB one insert of twenty documents costs
 * about what one insert of one does.
 */
export class GroupCommit<I, R> {
  private queue: Array<{ item: I; resolve(r: R): void; reject(err: unknown): void }> = [];
  private writing = false;

  /** `write` returns one result per item, in order. */
  constructor(private readonly write: (items: I[]) => Promise<R[]>, private readonly max = 200) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, this.max);
        try {
          const out = await this.write(group.map((g) => g.item));
          group.forEach((g, i) => g.resolve(out[i]));
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
