/** The import progress bar: only on a terminal and only for files big enough to wait on, so logs and pipes stay clean. */
import { SingleBar } from 'cli-progress';

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Rows below this finish before a bar would be worth drawing. */
const PROGRESS_MIN_ROWS = 20;

export interface Progress {
  onProgress?: (done: number, total: number) => void;
  stop(): void;
}

/** `label` comes translated (`cli.progress.staff|roster`); the rest of the bar is numbers and cli-progress placeholders. */
export function createProgress(stream: Output, dataRows: number, label: string): Progress {
  if (!stream.isTTY || dataRows <= PROGRESS_MIN_ROWS) return { stop: () => undefined };
  let bar: SingleBar | undefined;
  return {
    // Started on the first report: only then is the number of valid rows (the bar's total) known.
    onProgress: (done, total) => {
      if (!bar) {
        bar = new SingleBar({
          stream: stream as unknown as NodeJS.WritableStream,
          format: `${label} [{bar}] {value}/{total} {percentage}%`,
          barsize: 30,
          hideCursor: true,
          fps: 10,
        });
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
