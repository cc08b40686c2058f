// Previous/next links over a server-side paged list, keeping the other query parameters.
import Link from 'next/link';

export interface PaginationProps {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly page: number;
  readonly pages: number;
  /** Keyset-paged lists (the audit log): the neighbouring pages' own parameters, null at an end, instead of page numbers. */
  readonly keyset?: { readonly previous: Readonly<Record<string, string>> | null; readonly next: Readonly<Record<string, string>> | null };
  readonly labels: { readonly nav: string; readonly previous: string; readonly next: string; readonly page: string };
}

const linkClass = 'rounded px-3 py-2 text-sm font-medium text-sky-800 underline focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700';

export function Pagination({ path, query, page, pages, keyset, labels }: PaginationProps) {
  const href = (extra: Readonly<Record<string, string>>) => `${path}?${new URLSearchParams({ ...query, ...extra })}`;
  const previous = keyset ? keyset.previous && href(keyset.previous) : page > 1 ? href({ page: String(page - 1) }) : null;
  const next = keyset ? keyset.next && href(keyset.next) : page < pages ? href({ page: String(page + 1) }) : null;
  return (
    <nav aria-label={labels.nav} className="mt-3 flex items-center gap-3">
      {previous ? <Link href={previous} className={linkClass} rel="prev">{labels.previous}</Link> : null}
      <span className="text-sm text-slate-700" aria-current="page">{labels.page}</span>
      {next ? <Link href={next} className={linkClass} rel="next">{labels.next}</Link> : null}
    </nav>
  );
}
