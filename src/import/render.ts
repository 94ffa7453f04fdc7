/**
 * What an importer produces: a plan (as plain data, the way a person would
 * write it), notes on the fields it could not map (each at the path of the
 * plan field it concerns, or at the top), and whole items it could not turn
 * into gates. Rendered as YAML with every note as a comment: nothing is
 * dropped silently.
 */
import { Document, isMap, isNode, isScalar, type Node } from 'yaml';
import { parsePromDuration } from '../duration.js';

export type PlanPath = Array<string | number>;

export interface ImportNote {
  /** Where in the written plan the note goes; empty for the head of the file. */
  path: PlanPath;
  text: string;
}

export interface ImportResult {
  plan: Record<string, unknown>;
  /** Lines for the head of the file: where it came from. */
  header: string[];
  notes: ImportNote[];
  /** Things not imported at all, each with why and its source text. */
  skipped: Array<{ what: string; why: string; source?: string }>;
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

export function renderImport(r: ImportResult): string {
  const doc = new Document(r.plan);
  const head = [...r.header];
  const top = r.notes.filter((n) => n.path.length === 0);
  if (top.length) head.push('', ...top.map((n) => `NOTE ${n.text}`));
  doc.commentBefore = head.map(commentLine).join('\n');
  for (const n of r.notes) {
    if (n.path.length === 0) continue;
    const node = commentTarget(doc, n.path);
    if (!node) {
      // The field was not written (it could not be mapped): say so at the head.
      doc.commentBefore += `\n${commentLine(`NOTE ${n.path.join('.')}: ${n.text}`)}`;
      continue;
    }
    const lines = n.text.split('\n').map((l) => commentLine(`NOTE ${l}`.replace(/^NOTE {2}/, '  ')));
    node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${lines.join('\n')}` : lines.join('\n');
  }
  if (r.skipped.length) {
    const tail: string[] = ['NOT IMPORTED (no gate was written for these):'];
    for (const s of r.skipped) {
      tail.push(`- ${s.what}: ${s.why}`);
      if (s.source) tail.push(...s.source.trimEnd().split('\n').map((l) => `    ${l}`));
    }
    doc.comment = tail.map(commentLine).join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}

/** The node a note goes before: a scalar value's key (so the note sits above `key: value`), else the node. */
function commentTarget(doc: Document, path: PlanPath): Node | undefined {
  const node = doc.getIn(path, true);
  if (!isNode(node)) return undefined;
  const last = path[path.length - 1];
  if (isScalar(node) && typeof last === 'string') {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      if (pair && isNode(pair.key)) return pair.key;
    }
  }
  return node;
}

/** yaml prefixes each comment line with "#"; a leading space keeps "# text". */
function commentLine(text: string): string {
  return text === '' ? '' : ` ${text}`;
}

/** A gate or stage id from any name: letters, digits, ".", "_" and "-". */
export function slugId(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return s || 'gate';
}

/** Gives each id a numeric suffix when it is already taken. */
export function uniqueId(id: string, taken: Set<string>): string {
  let out = id;
  for (let i = 2; taken.has(out); i++) out = `${id}-${i}`;
  taken.add(out);
  return out;
}

/** Seconds as a plan duration ("90s" → "90s", 300 → "5m"). */
export function secondsToDuration(sec: number): string {
  if (sec % 3600 === 0 && sec >= 3600) return `${sec / 3600}h`;
  if (sec % 60 === 0 && sec >= 60) return `${sec / 60}m`;
  return `${sec}s`;
}

/** A Prometheus (or Go) duration as the source wrote it ("5m", "1h30m", "500ms") in ms; undefined when it is not one. */
export function sourceDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parsePromDuration(text.trim());
  } catch {
    return undefined;
  }
}
