/** A dialog drawn in the body's place: its title, then its sections cut to the rows there are. */
import React from 'react';
import { Lines, type LineSpec } from '../Line.js';
import { fitSections, type Section } from './fit.js';

export interface DialogBox {
  width: number;
  height: number;
}

export function dialogLines(title: LineSpec, sections: readonly Section[], height: number): LineSpec[] {
  if (height <= 0) return [];
  return [title, ...fitSections(sections, height - 1)];
}

export function DialogFrame({ title, sections, box }: { title: LineSpec; sections: readonly Section[]; box: DialogBox }) {
  return <Lines lines={dialogLines(title, sections, box.height)} width={box.width} height={box.height} />;
}
