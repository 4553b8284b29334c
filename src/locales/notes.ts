/** Messages for notes (issue 3); each with its `_voice` twin. Registered under `notes.` in locales/index.ts. */
export const notesZh = {};
export const notesEn: typeof notesZh = {};
