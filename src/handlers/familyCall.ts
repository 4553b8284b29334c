/** Placeholder until family calls (issue 3) are built. */
import type { Middleware } from '../bot/context';

/** Parents setting the call slot and answering "did the call happen?". */
export const familyCall: Middleware = async (_ctx, next) => next();
