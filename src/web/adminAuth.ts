import crypto from 'node:crypto';
import type { RequestHandler } from 'express';

/** Bearer token from ADMIN_TOKEN; compared in constant time. */
export function adminAuth(token: string): RequestHandler {
  const expected = Buffer.from(token);
  return (req, res, next) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) return next();
    res.status(401).json({ error: 'unauthorized', message: 'Send the admin token as "Authorization: Bearer <ADMIN_TOKEN>".' });
  };
}
