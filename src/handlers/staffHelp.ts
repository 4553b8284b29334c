/** Staff messages nothing else understood: what they can do here. */
import type { Middleware } from '../bot/context';

export const staffHelp: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  return ctx.reply('menu.staff', { name: ctx.person.staff.name });
};
