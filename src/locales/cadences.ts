/** Messages for cadences (issue 3); each with its `_voice` twin. Registered under `cadences.` in locales/index.ts. */
export const cadencesZh = {};
export const cadencesEn: typeof cadencesZh = {};
