/** Ink's squashTextNodes remembered per text node: the same text as Ink's own function, whatever the node's string becomes. */
import { describe, expect, it } from 'vitest';
// Not in Ink's export map: the files Ink itself imports.
import { appendChildNode as append, createNode, createTextNode, setTextNodeValue, type DOMElement, type TextNode } from '../node_modules/ink/build/dom.js';
import squashTextNodes from '../node_modules/ink/build/squash-text-nodes.js';
import { mulberry32 } from '../src/simulator/prng.js';
import squashTextNodesCached, { squashStats } from './squash-text-cached.js';

// Ink's reconciler appends text nodes with the same function (its type names elements only).
const appendChildNode = (node: DOMElement, child: DOMElement | TextNode) => append(node, child as DOMElement);

// Styled rows, and what a plan, a node or a script's output may put in one: other escapes, controls, tabs, marks.
const PARTS = ['ok ', 'error-rate', '●', '节点', '\u001b[32m', '\u001b[39m', '\u001b[1;31m', '\u001b[2J', '\u001b]8;;https://x\u0007', '\t', '\r\n', '\u0007', '\u009b31m', 'e\u0301', '\u0301lead', '👍'];

describe('squashTextNodesCached', () => {
  it("gives Ink's text for a <Text> whose one string changes, from the node's second squash on from memory", () => {
    const r = mulberry32(14);
    const text = createNode('ink-text');
    const child = createTextNode('');
    appendChildNode(text, child);
    const before = { ...squashStats };
    for (let n = 0; n < 5_000; n++) {
      // Half the time the string stays (an unchanged row), else a new random one.
      if (r() < 0.5) {
        let s = '';
        for (let i = 0, len = 1 + Math.floor(r() * 8); i < len; i++) s += PARTS[Math.floor(r() * PARTS.length)];
        setTextNodeValue(child, s);
      }
      expect([n, child.nodeValue, squashTextNodesCached(text)]).toEqual([n, child.nodeValue, squashTextNodes(text)]);
    }
    expect(squashStats.hits - before.hits).toBeGreaterThan(2_000);
  });

  it("leaves a node of several children, or of a nested <Text>, to Ink's function", () => {
    const text = createNode('ink-text');
    appendChildNode(text, createTextNode('a\u001b[31m'));
    const inner = createNode('ink-virtual-text');
    appendChildNode(inner, createTextNode('b'));
    appendChildNode(text, inner);
    const before = { ...squashStats };
    expect(squashTextNodesCached(text)).toBe(squashTextNodes(text));
    expect(squashTextNodesCached(text)).toBe(squashTextNodes(text));
    expect(squashStats).toEqual(before);
  });
});
