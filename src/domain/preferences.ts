/** A person's own choices of how the bot speaks to them: style (text / voice) and language. */
import { Identity } from '../models/identity';

export interface Preferences { style?: 'text' | 'voice'; lang?: 'zh-CN' | 'en' }

export async function setPreferences(orgId: string, address: string, prefs: Preferences): Promise<void> {
  await Identity.updateOne({ orgId, address }, { $set: prefs });
}
