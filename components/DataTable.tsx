// A table of the console's lists: scrolls inside its card at narrow widths, a caption for screen readers, column headers.
import type { ReactNode } from 'react';
import { tableClass, thClass } from './ui';

export function DataTable({ testId, caption, columns, children, className = 'mt-3' }: { testId: string; caption: string; columns: readonly ReactNode[]; children: ReactNode; className?: string }) {
  return (
    <div className={`${className} overflow-x-auto`}>
      <table className={tableClass} data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr className="border-b border-slate-300">
            {columns.map((c, i) => (
              <th key={i} scope="col" className={thClass}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export const rowClass = 'border-b border-slate-200';
