/** The org's settings for the message being handled: read once, however many handlers of the chain ask. */
import type { BotContext } from '../bot/context';
import { loadOrgSettings, OrgSettings } from '../domain/settings';

const perMessage = new WeakMap<BotContext, Promise<OrgSettings>>();

export function settingsOf(ctx: BotContext): Promise<OrgSettings> {
  let loaded = perMessage.get(ctx);
  if (!loaded) {
    loaded = loadOrgSettings(ctx.orgId, ctx.services.timeZone);
    perMessage.set(ctx, loaded);
  }
  return loaded;
}
