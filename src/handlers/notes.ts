/** Placeholder until progress notes (issue 3) are built. */
import type { Middleware } from '../bot/context';

/** Teachers writing and correcting notes. */
export const notes: Middleware = async (_ctx, next) => next();
/** A parent's reply to a delivered note, passed to the teacher. */
export const noteReplies: Middleware = async (_ctx, next) => next();
