import React, { createContext, useContext } from 'react';
import { makeTheme, type Theme } from './theme.js';

const ThemeContext = createContext<Theme>(makeTheme({ noColor: false, ascii: false }));

export function ThemeProvider({ theme, children }: { theme: Theme; children: React.ReactNode }) {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
