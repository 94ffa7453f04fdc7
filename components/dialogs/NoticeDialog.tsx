/** A short notice (why there is nothing to promote, read-only): Enter or Esc closes it. */
import React from 'react';
import { seg } from '../Line.js';
import type { Token } from '../theme.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import type { FormItem } from './form.js';
import { buttonsLine, statusLine, titleLine, wrapped } from './parts.js';
import { useFormDialog, type FormDialog } from './use-form-dialog.js';

export interface Notice {
  title: string;
  text: string;
  tok: Token;
}

const ITEMS: FormItem[] = [{ id: 'ok', kind: 'button' }];

export function useNoticeDialog(requestQuit: () => void): FormDialog<Notice> {
  return useFormDialog<Notice>({
    items: () => ITEMS,
    requestQuit,
    onButton: (_id, _p, _f, api) => api.close(),
  });
}

export function NoticeDialog({ notice, box }: { notice: Notice; box: DialogBox }) {
  const theme = useTheme();
  const sections: Section[] = [
    section(0, 1, wrapped(notice.text, box.width, notice.tok, { lead: [seg('  ')], ellipsis: theme.glyphs.ellipsis })),
    spacer(),
    fixed(0, buttonsLine(theme, [{ id: 'ok', label: 'OK', focused: true, enabled: true }])),
    fixed(1, statusLine(null, 'Enter or Esc closes.')),
  ];
  return <DialogFrame title={titleLine(theme, notice.title, 'title', [], 'Esc closes')} sections={sections} box={box} />;
}
