/**
 * A panel that does not re-render when only the clock moved and nothing it
 * shows changed with it: the cockpit repaints its countdowns every second or
 * five, and a panel's rows would come out the same but for a few relative
 * times. `clockTexts` returns everything the panel draws from `now` (its
 * relative times, as text); the panel re-renders when any other prop changed
 * (by identity) or those texts did.
 */
import React from 'react';

export function memoOnClock<P extends { now: number }>(component: (p: P) => React.ReactNode, clockTexts: (p: P) => string): React.MemoExoticComponent<(p: P) => React.ReactNode> {
  return React.memo(component, (prev, next) => {
    // Counted, not listed: this runs for every panel on every frame.
    let keys = 0;
    for (const k in next) {
      keys++;
      if (k !== 'now' && !Object.is(prev[k], next[k])) return false;
    }
    for (const _ in prev) keys--;
    if (keys !== 0) return false;
    return prev.now === next.now || clockTexts(prev) === clockTexts(next);
  });
}
