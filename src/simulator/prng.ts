/** A small seeded PRNG (mulberry32): the same seed gives the same fleet. */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value in [center - spread, center + spread]. */
export function jitter(rand: Random, center: number, spread: number): number {
  return center + (rand() * 2 - 1) * spread;
}
