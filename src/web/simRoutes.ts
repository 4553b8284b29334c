/** Simulator API (DESIGN.md §4): talk to the bot as anyone, read what anyone received, move the clock. */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { badRequest } from './errors';

const messageBody = z.object({
  from: z.string().trim().min(1).max(128),
  text: z.string().max(4000),
  room: z.string().trim().min(1).max(128).optional(),
  name: z.string().max(64).optional(),
  /** Optional platform message id, to test de-duplication of a repeated delivery. */
  id: z.string().min(1).max(128).optional(),
  mentions: z.array(z.string()).max(50).optional(),
  /** A voice message: its media id (text may then be empty or a transcript). */
  voice: z.string().min(1).max(256).optional(),
  /** The voice message's recording, AMR-NB in base64 (≤ 60 s is under 100 KB), for speech recognition. */
  voiceData: z.string().max(400_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').optional(),
  /** The id of an inbox message being quoted (as returned by /sim/inbox). */
  quotedId: z.string().min(1).max(128).optional(),
});
const clockBody = z.object({ now: z.string().datetime({ offset: true }) });

export function simRoutes(app: AppContext): Router {
  const sim = app.simulator!;
  const r = Router();
  r.use(express.json({ limit: '512kb' }));

  r.post('/messages', async (req, res) => {
    const parsed = messageBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const b = parsed.data;
    const platformId = b.id ?? crypto.randomUUID();
    await sim.channel.receive({
      channel: 'simulator', orgId: app.orgId, from: b.from, room: b.room, text: b.text, mentions: b.mentions ?? [],
      voice: b.voice ? { mediaId: b.voice, format: 'amr', ...(b.voiceData ? { data: Buffer.from(b.voiceData, 'base64') } : {}) } : undefined, quotedId: b.quotedId,
      platformId, displayName: b.name, at: app.clock.now(),
    });
    // In the background, the replies went out with the message (app.ts); only a test's app sends here.
    if (!app.deliversInBackground) await app.delivery.deliverDue();
    res.json({ replies: await sim.channel.repliesTo(platformId) });
  });

  r.get('/inbox/:address', async (req, res) => {
    res.json({ messages: await sim.channel.inbox(req.params.address) });
  });

  r.post('/clock', async (req, res) => {
    const parsed = clockBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    sim.clock.set(new Date(parsed.data.now));
    await app.runScheduled();
    const delivered = await app.delivery.deliverDue();
    res.json({ now: app.clock.now().toISOString(), delivered });
  });
  return r;
}

/** `/media/speech/<hash>.amr`: the recordings the simulator's messages point to (SimInboxMessage.audio.url). */
export function simMediaRoutes(app: AppContext): Router {
  const r = Router();
  r.get('/speech/:name', async (req, res) => {
    const m = /^([0-9a-f]{64})\.amr$/.exec(req.params.name);
    const file = m ? app.speech.fileOf(m[1]) : undefined;
    const body = file ? await fs.readFile(file).catch(() => undefined) : undefined;
    if (!body) return void res.status(404).json({ error: 'not_found', message: 'No such recording.' });
    res.type('audio/amr').set('Cache-Control', 'private, max-age=86400').send(body);
  });
  return r;
}
