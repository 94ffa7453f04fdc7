/** React bindings of the key layer stack: one Ink input listener, layers pushed by hooks. */
import React, { createContext, useContext, useEffect, useRef, useState } from 'react';
import { useInput, useStdin } from 'ink';
import { KeyLayerStack, PRIORITY, type KeyHandler } from './key-layers.js';

const KeyLayerContext = createContext<KeyLayerStack | null>(null);

/** Owns the single Ink input listener; keys go to the layers pushed below it. */
export function KeyLayerProvider({ children, isActive = true }: { children: React.ReactNode; isActive?: boolean }) {
  const [stack] = useState(() => new KeyLayerStack());
  const { isRawModeSupported } = useStdin();
  useInput((input, key) => stack.dispatchChunk(input, key), { isActive: isActive && isRawModeSupported });
  return <KeyLayerContext.Provider value={stack}>{children}</KeyLayerContext.Provider>;
}

/**
 * Pushes a key layer while `active`. The handler may change every render; it
 * returns true when it consumed the key. A dialog uses PRIORITY.modal and
 * returns true for everything to own the keyboard.
 */
export function useKeyLayer(priority: number, handler: KeyHandler, active = true): void {
  const stack = useContext(KeyLayerContext);
  if (!stack) throw new Error('useKeyLayer must be used inside <KeyLayerProvider>');
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!active) return undefined;
    return stack.push(priority, (input, key) => ref.current(input, key));
  }, [stack, priority, active]);
}

/** A dialog's layer: sees every key first and keeps all of them from the cockpit. */
export function useModalLayer(handler: (input: string, key: Parameters<KeyHandler>[1]) => void, active = true): void {
  useKeyLayer(
    PRIORITY.modal,
    (input, key) => {
      handler(input, key);
      return true;
    },
    active,
  );
}

export { PRIORITY };
