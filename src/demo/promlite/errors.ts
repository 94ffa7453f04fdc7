/**
 * Query errors with the error types of Prometheus's HTTP API: `bad_data`
 * (400: the query is wrong) and `execution` (422: it could not be evaluated).
 */

export type QueryErrorType = 'bad_data' | 'execution';

export class QueryError extends Error {
  constructor(
    readonly type: QueryErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** A parse or type error at a place in the query, worded "L:C: parse error: …" like Prometheus. */
export class ParseError extends QueryError {
  constructor(
    readonly input: string,
    readonly pos: number,
    readonly detail: string,
  ) {
    super('bad_data', `${lineCol(input, pos)}: parse error: ${detail}`);
    this.name = 'ParseError';
  }
}

/** 1-based line:column of an offset, as Prometheus reports positions. */
export function lineCol(input: string, pos: number): string {
  const before = input.slice(0, Math.max(0, pos));
  const line = before.split('\n').length;
  const col = pos - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${col}`;
}

export function badData(message: string): QueryError {
  return new QueryError('bad_data', message);
}

export function execution(message: string): QueryError {
  return new QueryError('execution', message);
}
