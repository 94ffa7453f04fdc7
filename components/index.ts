/** The cockpit's public surface for the CLI (watch, demo, replay) and for dialogs. */
export { renderCockpit, withRewindFix, ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, HIDE_CURSOR, SHOW_CURSOR } from './render-cockpit.js';
export { Cockpit, type CockpitProps } from './Cockpit.js';
export { CockpitApp, type CockpitAppProps } from './CockpitApp.js';
export { KeyLayerProvider, useKeyLayer, useModalLayer, PRIORITY } from './input/KeyLayers.js';
export { KeyLayerStack, type KeyHandler } from './input/key-layers.js';
export { KEYMAP, actionFor, bindingLabel, keyLabel, type KeyAction, type Binding } from './keymap.js';
export { makeTheme, colorDisabled, stateToken, type Theme, type Token } from './theme.js';
export { useTheme, ThemeProvider } from './ThemeContext.js';
export { MIN_COLUMNS, MIN_ROWS, WIDE_COLUMNS } from './layout.js';
export * from './format.js';
