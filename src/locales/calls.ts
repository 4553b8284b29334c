/** Messages for calls (issue 3); each with its `_voice` twin. Registered under `calls.` in locales/index.ts. */
export const callsZh = {};
export const callsEn: typeof callsZh = {};
