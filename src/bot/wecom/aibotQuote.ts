/**
 * A quote → the post it quotes. The AI bot's payload carries the quoted message's CONTENT but no id
 * (D100719 引用结构体: msgtype + text|image|mixed|voice|file), while the handlers trace a quote by the platform id
 * we recorded when we sent the post (InboundMessage.quotedId → Outbox.platformMsgId). So the quoted words are
 * matched against what the aibot recently posted in the same room: equal after normalising (mentions, markup and
 * spaces dropped), or one containing the other (a client may shorten a long quote, or add the @-names it
 * rendered). The most recent match wins. Plain equality/range filters only (DESIGN §5).
 */
import { recentRoomPosts } from '../outboxHistory';
import { normalizeForMatch } from './aibotProtocol';

/** How many of the room's latest posts are compared (by count, not age: the sending and receiving clocks may differ). */
const CANDIDATES = 300;
/** A shorter quote ("收到") says too little to pick a post. */
const MIN_CHARS = 6;

export type QuoteResolver = (room: string, quotedText: string) => Promise<string | undefined>;

export function outboxQuoteResolver(orgId: string, route: string): QuoteResolver {
  return async (room, quotedText) => {
    const quote = normalizeForMatch(quotedText);
    if ([...quote].length < MIN_CHARS) return undefined;
    const posts = await recentRoomPosts(orgId, room, route, CANDIDATES);
    for (const p of posts) {
      if (!p.platformMsgId) continue;
      const post = normalizeForMatch(p.text);
      if (post === quote || post.includes(quote) || (quote.includes(post) && [...post].length >= MIN_CHARS)) return p.platformMsgId;
    }
    return undefined;
  };
}
