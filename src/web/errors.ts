/** Error answers: bad input is a 400 that says what is wrong; anything else a 500 without internals. */
import type { ErrorRequestHandler, Response } from 'express';
import type { ZodError } from 'zod';
import type { Logger } from '../log';

export function badRequest(res: Response, err: ZodError): void {
  res.status(400).json({
    error: 'bad_request',
    message: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'bad_json', message: `The body is not valid JSON: ${e.message}` });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'too_large', message: 'The body is too large.' });
      return;
    }
    // Express's own 4xx: a path whose %-encoding is broken (URIError, "Failed to decode param"), a bad header…
    const status = e.status ?? (e as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const badPath = err instanceof URIError || /decode/i.test(e.message ?? '');
      res.status(status).json(badPath
        ? { error: 'bad_path', message: 'The URL path is not valid percent-encoding.' }
        : { error: 'bad_request', message: e.message ?? 'Bad request.' });
      return;
    }
    log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'Internal error; see the server log.' });
  };
}
