/** Placeholder until teacher contact logging (issue 3) is built. */
import type { Middleware } from '../bot/context';

/** Teachers logging 谈心 / 家访 / 电话 … */
export const contactLog: Middleware = async (_ctx, next) => next();
