/** The few functions of jstat (https://github.com/jstat/jstat) the judge uses; jstat ships no types. */
declare module 'jstat' {
  interface JStat {
    /** Ranks 1..n, ties given their average rank (the tests' oracle for U: slow on many distinct floats). */
    rank(values: number[]): number[];
    /** Sample quantiles (Hyndman & Fan type 9 by default: alphap = betap = 3/8). */
    quantiles(values: number[], probs: number[], alphap?: number, betap?: number): number[];
    mean(values: number[]): number;
    min(values: number[]): number;
    max(values: number[]): number;
    normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
