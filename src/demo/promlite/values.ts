/** Values a PromQL expression evaluates to. Times are ms. */
import type { Labels } from './labels.js';
import type { Point } from './store.js';

/** One element of an instant vector (its time is the evaluation time). */
export interface VectorSample {
  labels: Labels;
  v: number;
}

export interface MatrixSeries {
  labels: Labels;
  points: Point[];
}

export type Value =
  | { type: 'scalar'; v: number }
  | { type: 'string'; s: string }
  | { type: 'vector'; samples: VectorSample[] }
  | { type: 'matrix'; series: MatrixSeries[] };

export type VectorValue = Extract<Value, { type: 'vector' }>;
export type MatrixValue = Extract<Value, { type: 'matrix' }>;

export const scalar = (v: number): Value => ({ type: 'scalar', v });
export const vector = (samples: VectorSample[]): VectorValue => ({ type: 'vector', samples });
