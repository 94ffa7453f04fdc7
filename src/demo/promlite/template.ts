/**
 * The part of Prometheus's alert templating that rule files use:
 * {{ $labels.name }}, {{ $value }}, {{ .Labels.name }}, {{ .Value }},
 * {{ $externalLabels.name }}, pipes to humanize / humanizePercentage /
 * toUpper / toLower, and printf with %s %v %d %f %.Nf %g %e. Anything else
 * expands to "<error expanding template: …>", as Prometheus shows a failed one.
 */
import { formatGoDefault } from './format.js';

export interface TemplateData {
  labels: Record<string, string>;
  externalLabels?: Record<string, string>;
  value: number;
}

type TValue = string | number | Record<string, string> | undefined;

class TemplateError extends Error {}

export function expandTemplate(text: string, data: TemplateData): string {
  if (!text.includes('{{')) return text;
  try {
    let out = '';
    let pos = 0;
    for (;;) {
      const open = text.indexOf('{{', pos);
      if (open < 0) {
        out += text.slice(pos);
        break;
      }
      let literal = text.slice(pos, open);
      const close = text.indexOf('}}', open + 2);
      if (close < 0) throw new TemplateError('unclosed action');
      let action = text.slice(open + 2, close);
      pos = close + 2;
      if (action.startsWith('-') && /^-\s/.test(action)) {
        literal = literal.replace(/\s+$/, '');
        action = action.slice(1);
      }
      let trimAfter = false;
      if (/\s-$/.test(action)) {
        action = action.slice(0, -1);
        trimAfter = true;
      }
      out += literal + render(runPipeline(action.trim(), data));
      if (trimAfter) pos += /^\s*/.exec(text.slice(pos))![0].length;
    }
    return out;
  } catch (err) {
    return `<error expanding template: ${(err as Error).message}>`;
  }
}

function render(v: TValue): string {
  if (v === undefined) return '<no value>';
  if (typeof v === 'number') return formatGoDefault(v);
  if (typeof v === 'string') return v;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${v[k]}`)
    .join(' ')}]`;
}

function runPipeline(action: string, data: TemplateData): TValue {
  if (action === '' || action.startsWith('/*')) return '';
  const stages = splitOutsideQuotes(action, '|').map((s) => s.trim());
  let value: TValue;
  stages.forEach((stage, i) => {
    const words = tokenizeWords(stage);
    if (words.length === 0) throw new TemplateError(`missing command in "{{ ${action} }}"`);
    const [head, ...rest] = words;
    const args = rest.map((w) => operand(w, data));
    if (i > 0) args.push(value);
    if (isFunction(head!)) value = callFunction(head!, args);
    else if (args.length === 0) value = operand(head!, data);
    else throw new TemplateError(`can't give argument to non-function ${head} in "{{ ${action} }}"`);
  });
  return value;
}

function operand(word: string, data: TemplateData): TValue {
  if (/^"(?:[^"\\]|\\.)*"$/.test(word)) return JSON.parse(word) as string;
  if (/^`[^`]*`$/.test(word)) return word.slice(1, -1);
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(word)) return Number(word);
  const path = /^(\$labels|\.Labels|\$externalLabels|\.ExternalLabels|\$value|\.Value)(?:\.([a-zA-Z_][a-zA-Z0-9_]*))?$/.exec(word);
  if (!path) throw new TemplateError(`promlite does not support ${JSON.stringify(word)} in templates`);
  const root = path[1]!;
  if (root === '$value' || root === '.Value') {
    if (path[2]) throw new TemplateError(`can't evaluate field ${path[2]} in type float64`);
    return data.value;
  }
  const map = root.includes('xternal') ? (data.externalLabels ?? {}) : data.labels;
  return path[2] ? map[path[2]] : map;
}

const FUNCS = new Set(['humanize', 'humanizePercentage', 'printf', 'toUpper', 'toLower']);
const isFunction = (w: string): boolean => FUNCS.has(w) || /^[a-zA-Z][a-zA-Z0-9_]*$/.test(w);

function callFunction(name: string, args: TValue[]): TValue {
  const num = (v: TValue): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    throw new TemplateError(`${name}: expected a number, got ${JSON.stringify(v)}`);
  };
  switch (name) {
    case 'humanize':
      return humanize(num(args[0]));
    case 'humanizePercentage':
      return `${goG4(num(args[0]) * 100)}%`;
    case 'toUpper':
      return String(render(args[0])).toUpperCase();
    case 'toLower':
      return String(render(args[0])).toLowerCase();
    case 'printf':
      return printf(String(args[0] ?? ''), args.slice(1));
    default:
      throw new TemplateError(`promlite does not support the template function "${name}"`);
  }
}

/** fmt's %.4g: four significant digits, trailing zeros dropped. */
function goG4(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 4) {
    const [m, e] = v.toExponential(3).split('e');
    return `${m!.replace(/\.?0+$/, '')}e${e!.startsWith('-') ? '-' : '+'}${e!.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** Prometheus's humanize: SI prefixes, four significant digits. */
function humanize(value: number): string {
  let v = value;
  if (v === 0 || !Number.isFinite(v)) return goG4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${goG4(v)}${prefix}`;
}

function printf(format: string, args: TValue[]): string {
  let i = 0;
  return format.replace(/%(-?\d*)(?:\.(\d+))?([svdfgeq%])/g, (_m, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    let s: string;
    switch (verb) {
      case 's':
      case 'v':
        s = render(arg);
        break;
      case 'q':
        s = JSON.stringify(render(arg));
        break;
      case 'd':
        s = typeof arg === 'number' && Number.isInteger(arg) ? String(arg) : `%!d(${typeof arg === 'number' ? 'float64' : 'string'}=${render(arg)})`;
        break;
      case 'f':
        s = typeof arg === 'number' ? arg.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(string=${render(arg)})`;
        break;
      case 'e':
        s = typeof arg === 'number' ? arg.toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(string=${render(arg)})`;
        break;
      default:
        s = typeof arg === 'number' ? formatGoDefault(arg) : `%!g(string=${render(arg)})`;
    }
    const w = Number(width || 0);
    return w < 0 ? s.padEnd(-w) : s.padStart(w);
  });
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"') cur += s[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') {
      quote = c;
      cur += c;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function tokenizeWords(s: string): string[] {
  return splitOutsideQuotes(s, ' ').filter((w) => w !== '');
}
