/**
 * The start-up reference for `flightdeck watch`: a bare Ink "hello" render,
 * Ink and React loaded from node_modules (React's production build and Node's
 * compile cache, as bin/flightdeck has them), one line drawn, then it waits
 * to be killed. `startup-compare.ts` times exec -> this line on the terminal.
 *
 *   node dist/bench/ink-hello.js TEXT
 */
import module from 'node:module';

module.enableCompileCache?.();
process.env.NODE_ENV = 'production';
const [{ render, Text }, { createElement }] = await Promise.all([import('ink'), import('react')]);
render(createElement(Text, null, process.argv[2] ?? 'hello'));
// Ink keeps the process alive while stdin is read; this one is not, so it waits here.
setInterval(() => undefined, 60_000);
