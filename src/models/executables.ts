/** Finding programs on this machine (mongod, ferretdb, go, PostgreSQL's binaries) for the database finder. */
import fs from 'node:fs';
import path from 'node:path';

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first `bin` on PATH, like the shell's `command -v`. */
export function which(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, bin))) return path.join(dir, bin);
  }
  return undefined;
}
