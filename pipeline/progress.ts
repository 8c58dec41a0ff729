/**
 * A progress bar with an ETA on stderr for long jobs. On a terminal it redraws one line; elsewhere
 * (CI, logs) it prints a line every 10 % so logs stay readable.
 */
export interface Progress {
  tick(label?: string): void;
  done(summary?: string): void;
}

function fmt(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function createProgress(
  title: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const t0 = performance.now();
  let n = 0;
  let lastDecile = -1;
  const tty = stream.isTTY === true;
  const line = (label: string) => {
    const elapsed = (performance.now() - t0) / 1000;
    const eta = n > 0 ? (elapsed / n) * (total - n) : Number.NaN;
    const width = 24;
    const filled = total > 0 ? Math.round((n / total) * width) : width;
    return `${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total} ${label} elapsed ${fmt(elapsed)} ETA ${fmt(eta)}`;
  };
  return {
    tick(label = '') {
      n++;
      if (tty) stream.write(`\r${line(label)}\x1b[K`);
      else {
        const decile = Math.floor((n / Math.max(total, 1)) * 10);
        if (decile !== lastDecile || n === total) {
          lastDecile = decile;
          stream.write(`${line(label)}\n`);
        }
      }
    },
    done(summary) {
      if (tty) stream.write('\n');
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
