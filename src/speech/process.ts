/** Running the speech tools (espeak-ng, sox) with a buffer in and a buffer out. */
import { spawn, spawnSync } from 'node:child_process';

/** Runs `cmd args`, writes `input` to its stdin, resolves with its stdout; rejects on a non-zero exit or a timeout. */
export function run(cmd: string, args: string[], input?: Buffer | string, timeoutMs = 60_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(out));
      reject(new Error(`${cmd} ${signal ? `was killed (${signal})` : `exited with ${code}`}: ${Buffer.concat(err).toString().trim().slice(0, 500)}`));
    });
    child.stdin.on('error', () => undefined); // a tool that exits early: its exit code says why
    child.stdin.end(input);
  });
}

/** What `cmd args` prints, or undefined when it cannot run. */
export function probe(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return r.error || r.status !== 0 ? undefined : `${r.stdout}${r.stderr}`;
}
