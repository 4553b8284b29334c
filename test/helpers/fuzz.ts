/** What the fuzz tests share: a fixed seed (FUZZ_SEED replays another run) and a small seedable generator. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** mulberry32: small, seedable, good enough to pick test cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
