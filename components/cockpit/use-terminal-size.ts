import { useEffect, useState } from 'react';
import { useStdout } from 'ink';
import type { Size } from '../layout.js';

function read(stdout: NodeJS.WritableStream & { columns?: number; rows?: number }): Size {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

/** The terminal's size, following resizes (or a fixed size when given). */
export function useTerminalSize(fixed?: Size): Size {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => read(stdout));
  useEffect(() => {
    const onResize = () => {
      const next = read(stdout);
      setSize((cur) => (cur.columns === next.columns && cur.rows === next.rows ? cur : next));
    };
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return fixed ?? size;
}
