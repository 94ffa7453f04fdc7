/**
 * A reducer whose newest state is also in a ref, updated at once: key
 * handlers read it, so keys that arrive in one burst (typeahead over SSH, a
 * paste) see what the keys before them did, before React renders.
 */
import { useCallback, useRef, useState } from 'react';

export function useRefReducer<S, A>(reducer: (s: S, a: A) => S, init: () => S): [S, (a: A) => void, { readonly current: S }] {
  const [state, setState] = useState(init);
  const ref = useRef(state);
  const apply = useCallback(
    (a: A) => {
      const next = reducer(ref.current, a);
      if (next === ref.current) return;
      ref.current = next;
      setState(next);
    },
    [reducer],
  );
  return [state, apply, ref];
}

/**
 * Key priorities of the dialogs, above every cockpit layer. Their layers are
 * always pushed and take keys only while their dialog is open (read from the
 * ref), so the keys right after the one that opened a dialog go to it.
 */
export const DIALOG_PRIORITY = { run: 100, form: 101, quit: 102 } as const;
