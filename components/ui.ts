// Shared Tailwind class lists, so every form looks and focuses alike.
export const inputClass =
  'mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-base text-slate-900 focus:border-sky-700 focus:outline-none focus:ring-2 focus:ring-sky-700 aria-[invalid=true]:border-red-600';
export const labelClass = 'block text-sm font-medium text-slate-800';
export const buttonClass =
  'inline-flex items-center justify-center rounded-md bg-sky-800 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700 focus-visible:ring-offset-2 disabled:opacity-60';
export const cardClass = 'rounded-lg border border-slate-200 bg-white p-5 shadow-sm';
export const dangerButtonClass =
  'inline-flex items-center justify-center rounded-md bg-red-800 px-4 py-2 text-sm font-semibold text-white hover:bg-red-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-700 focus-visible:ring-offset-2 disabled:opacity-60';
export const smallButtonClass =
  'inline-flex items-center justify-center rounded-md border border-slate-400 bg-white px-3 py-1.5 text-sm font-medium text-slate-900 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700 disabled:opacity-60';
export const smallInputClass =
  'block rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm text-slate-900 focus:border-sky-700 focus:outline-none focus:ring-2 focus:ring-sky-700';
export const tableClass = 'w-full text-left text-sm';
export const thClass = 'py-2 pr-4 align-bottom';
export const tdClass = 'py-2 pr-4 align-top';
