// A detail page's facts: term and value pairs in two columns (one at tablet width and below).
import type { ReactNode } from 'react';

export const factListClass = 'mt-2 grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]';

/** Term, value, the value's class, and a machine-readable value as its data-status (for tests and scripts). */
export type Fact = readonly [term: string, value: ReactNode, className?: string, status?: string];

/** `children`: further rows that need their own markup (a test id, a link). */
export function FactList({ facts, testId, children }: { facts: readonly Fact[]; testId?: string; children?: ReactNode }) {
  return (
    <dl className={factListClass} data-testid={testId}>
      {facts.map(([term, value, className, status]) => (
        <div key={term} className="contents">
          <dt className="font-medium">{term}</dt>
          <dd className={className} data-status={status}>{value}</dd>
        </div>
      ))}
      {children}
    </dl>
  );
}
