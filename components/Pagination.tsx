// Previous/next links over a server-side paged list, keeping the other query parameters.
import Link from 'next/link';

export interface PaginationProps {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly page: number;
  readonly pages: number;
  readonly labels: { readonly nav: string; readonly previous: string; readonly next: string; readonly page: string };
}

const linkClass = 'rounded px-3 py-2 text-sm font-medium text-sky-800 underline focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700';

export function Pagination({ path, query, page, pages, labels }: PaginationProps) {
  const href = (p: number) => `${path}?${new URLSearchParams({ ...query, page: String(p) })}`;
  return (
    <nav aria-label={labels.nav} className="mt-3 flex items-center gap-3">
      {page > 1 ? <Link href={href(page - 1)} className={linkClass} rel="prev">{labels.previous}</Link> : null}
      <span className="text-sm text-slate-700" aria-current="page">{labels.page}</span>
      {page < pages ? <Link href={href(page + 1)} className={linkClass} rel="next">{labels.next}</Link> : null}
    </nav>
  );
}
