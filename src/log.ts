/** Structured logs (pino). Phone numbers never reach a log line: every string is masked before it is written. */
import pino, { Logger } from 'pino';

const PHONE = /(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)/g;

/** 13812345678 → 138****5678 */
export function maskPhones(text: string): string {
  return text.replace(PHONE, (_m, head: string, tail: string) => `${head}****${tail}`);
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhones(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: maskPhones(value.message), stack: value.stack && maskPhones(value.stack) };
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskDeep(v, depth + 1)]));
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => maskDeep(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

export type { Logger };
