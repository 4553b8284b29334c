/** What a family member's free words or menu digits ask for. Pure, so it is unit-tested on real phrasings. */
export type Intent = 'status' | 'teacher' | 'call' | 'concern' | 'help';

const DIGITS: Record<string, Intent> = { '1': 'status', '2': 'teacher', '3': 'call', '4': 'concern', '0': 'help' };

/** Asking to report something, with nothing reported yet: we ask what happened. */
const CONCERN_TRIGGER = /^(4|反映情况|反映问题|我要反映|我有事|有事|有事情|求助|投诉|report( a)? concern|concern|i have a concern)[。.!！]?$/i;
/** Words that already describe a problem: the message itself is the concern (the Chinese ones also guide speech, spoken.ts). */
export const CONCERN_WORDS_ZH = ['发烧', '高烧', '烧到', '生病', '病了', '咳嗽', '受伤', '打伤', '摔', '打架', '欺负', '被打', '找不到', '找不着',
  '没找到', '失踪', '不见了', '走丢', '没回家', '没回来', '联系不上', '溺水', '不想上学', '逃学', '逃课', '不想活', '自杀', '哭', '害怕', '担心',
  '不开心', '难过', '不舒服', '肚子疼', '头疼', '住院', '写不完', '跟不上'];
const CONCERN_WORDS = new RegExp([...CONCERN_WORDS_ZH, 'fever', 'sick', 'hurt', 'injur', 'bull(y|ied)', 'missing', 'worried', 'afraid'].join('|'), 'i');
const HELP = /^(帮助|菜单|help|menu|\?|？|你好|您好|hi|hello)[!！。.]?$/i;
// Questions about the teacher, not every sentence with 老师 in it ("谢谢老师" is a reply to a note).
const TEACHER = /老师是谁|哪个老师|哪位老师|什么老师|帮扶老师|代理家长|班主任|老师.*(电话|手机|号码|叫什么|名字|联系)|who.*teacher|teacher'?s? (name|phone|number)|^teacher\??$/i;
const CALL = /亲情电话|通话时间|打电话|几点打|什么时候打|通话|call/i;
const STATUS = /近况|怎么样|咋样|最近|表现|成绩|学习|成长记录|好不好|还好吗|情况|how is|how's|doing|progress|note|news/i;

/**
 * `concernWords`: the org's own keyword lists (settings.concerns) — a school that adds 逃课 means it as a concern.
 * Concern words win over status words: "孩子最近不开心" reports something, it does not ask for the note.
 */
export function detectIntent(raw: string, concernWords: readonly string[] = []): Intent | undefined {
  const text = raw.trim();
  if (DIGITS[text]) return DIGITS[text];
  if (HELP.test(text)) return 'help';
  if (CONCERN_TRIGGER.test(text) || CONCERN_WORDS.test(text) || concernWords.some((w) => w && text.includes(w))) return 'concern';
  // "老师电话" asks for the teacher, "亲情电话" for the call slot: teacher words win unless the call words are explicit.
  if (CALL.test(text) && !/老师.*(电话|手机|号码)|teacher.*(phone|number)/i.test(text)) return 'call';
  if (TEACHER.test(text)) return 'teacher';
  if (STATUS.test(text)) return 'status';
  return undefined;
}

/** True when the message already says what the concern is (not just "I want to report"). */
export function concernHasContent(raw: string): boolean {
  return !CONCERN_TRIGGER.test(raw.trim());
}

/** Whether a message names the child, by full name or given name (王小明 → 小明). */
export function mentionsChild(text: string, child: { name: string }): boolean {
  return text.includes(child.name) || ([...child.name].length >= 3 && text.includes([...child.name].slice(1).join('')));
}

/** The child a message names, when it names exactly one of them. */
export function childNamedIn<C extends { name: string }>(text: string, children: C[]): C | undefined {
  const hits = children.filter((c) => mentionsChild(text, c));
  return hits.length === 1 ? hits[0] : undefined;
}
