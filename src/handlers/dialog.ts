/** Multi-step dialogs: one open dialog per address, stored in ConversationState with an expiry. */
import { ConversationState } from '../models/conversationState';
import type { BotContext, Middleware } from '../bot/context';

const DEFAULT_TTL_MIN = 30;
const CANCEL = /^(0|取消|退出|算了|菜单|帮助|cancel|menu|help)$/i;

export async function setDialog(ctx: BotContext, kind: string, data: Record<string, unknown>, ttlMin = DEFAULT_TTL_MIN): Promise<void> {
  const expiresAt = new Date(ctx.now.getTime() + ttlMin * 60_000);
  await ConversationState.updateOne(
    { orgId: ctx.orgId, address: ctx.msg.from },
    { $set: { kind, data, expiresAt } },
    { upsert: true },
  );
  ctx.dialog = { kind, data };
}

export async function clearDialog(ctx: BotContext): Promise<void> {
  await ConversationState.deleteOne({ orgId: ctx.orgId, address: ctx.msg.from });
  ctx.dialog = undefined;
}

/** Loads the open dialog (an expired one counts as none); "0"/"取消"/"菜单" leaves it. */
export const loadDialog: Middleware = async (ctx, next) => {
  const state = await ConversationState.findOne({ orgId: ctx.orgId, address: ctx.msg.from, expiresAt: { $gt: ctx.now } }).lean();
  if (state) {
    if (CANCEL.test(ctx.msg.text.trim())) await clearDialog(ctx);
    else ctx.dialog = { kind: state.kind, data: (state.data ?? {}) as Record<string, unknown> };
  }
  await next();
};
