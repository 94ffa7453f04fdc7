/**
 * Ink's squashTextNodes, remembered for a text node whose only child is a
 * string (each cockpit row is one: a <Text> holding the row's string).
 *
 * Ink squashes every <Text> on every frame, and for a row with escape codes
 * (every styled row) that means tokenising it again to sanitise it: a CPU
 * profile of the render bench put ~5 % of a frame there, nearly all of it
 * on rows that had not changed. The result is a function of the node's kind
 * and its one string (squash-text-nodes.js reads nothing else for such a
 * node), so it is kept per node with that string, and computed again when
 * the string is another. Any other node goes to Ink's function.
 *
 * The program's bundle (scripts/build.mjs) and the render bench
 * (bench/as-shipped.ts) give it to Ink's dom.js and render-node-to-output.js
 * in place of './squash-text-nodes.js'.
 */
// Not in Ink's export map: the file itself.
import squashTextNodes from '../node_modules/ink/build/squash-text-nodes.js';

type InkNode = Parameters<typeof squashTextNodes>[0];

const squashed = new WeakMap<InkNode, { value: string; text: string }>();
export const squashStats = { hits: 0, misses: 0 };

export default function squashTextNodesCached(node: InkNode): string {
  const only = node.childNodes.length === 1 ? node.childNodes[0]! : undefined;
  if (only?.nodeName !== '#text') return squashTextNodes(node);
  const value = only.nodeValue;
  const known = squashed.get(node);
  if (known !== undefined && known.value === value) {
    squashStats.hits++;
    return known.text;
  }
  squashStats.misses++;
  const text = squashTextNodes(node);
  squashed.set(node, { value, text });
  return text;
}
