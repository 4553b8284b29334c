/** Answers to a message that cannot be read as it came (src/bot/inbound.ts): too long, or nothing in it. */
export const inboundZh = {
  tooLong: '消息太长了（最多 {{max}} 字），这次没有处理。请分几次发，或者只发最要紧的几句。',
  tooLong_voice: '消息太长了。请说短一点，分几次发。',
  empty: '没有收到文字内容。请发文字，或者发语音。',
  empty_voice: '没有听到内容。请再说一次。',
};

export const inboundEn: typeof inboundZh = {
  tooLong: 'That message is too long (at most {{max}} characters), so it was not read. Please send it in parts, or just the key points.',
  tooLong_voice: 'That message was too long. Please send it in shorter parts.',
  empty: 'The message had no text in it. Please send some words, or a voice message.',
  empty_voice: 'I got nothing to read. Please say it again.',
};
