/** Multi-step dialogs in the chain: the context's view of the address's open dialog (domain/dialogs). */
import { endDialog, openDialogOf, saveDialog } from '../domain/dialogs';
import type { BotContext, Middleware } from '../bot/context';

const DEFAULT_TTL_MIN = 30;
const CANCEL = /^(0|取消|退出|算了|菜单|帮助|cancel|menu|help)$/i;

export async function setDialog(ctx: BotContext, kind: string, data: Record<string, unknown>, ttlMin = DEFAULT_TTL_MIN): Promise<void> {
  await saveDialog(ctx.orgId, ctx.msg.from, kind, data, new Date(ctx.now.getTime() + ttlMin * 60_000));
  ctx.dialog = { kind, data };
}

export async function clearDialog(ctx: BotContext): Promise<void> {
  await endDialog(ctx.orgId, ctx.msg.from);
  ctx.dialog = undefined;
}

/** Loads the open dialog (an expired one counts as none); "0"/"取消"/"菜单" leaves it. */
export const loadDialog: Middleware = async (ctx, next) => {
  const state = await openDialogOf(ctx.orgId, ctx.msg.from, ctx.now);
  if (state) {
    if (CANCEL.test(ctx.msg.text.trim())) await clearDialog(ctx);
    else ctx.dialog = { kind: state.kind, data: state.data };
  }
  await next();
};
