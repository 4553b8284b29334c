/**
 * Object keys a client may not choose: merged into a plain object, `__proto__` would replace its prototype
 * (prototype pollution), and `constructor` / `prototype` reach the same place on the way.
 */
import { z } from 'zod';

const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A record key from the request body: any string but the unsafe ones. */
export const safeKey = z.string().refine((k) => !UNSAFE_KEYS.has(k), (k) => ({ message: `"${k}" is not allowed as a key` }));
