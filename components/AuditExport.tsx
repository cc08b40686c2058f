'use client';
// The audit log export as a download with progress: the route handler streams the file and says
// up front how many lines it holds (x-audit-lines), so the bytes and lines received show as they arrive.
import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { Code } from '../lib/errors';
import { FormError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';

const FORMATS = ['jsonl', 'csv', 'certificates'] as const;

interface Progress {
  readonly bytes: number;
  readonly lines: number;
  readonly total: number;
  readonly done: boolean;
}

type Problem = { code: string; message?: string; field?: string };

const filenameOf = (disposition: string | null) => /filename="([^"]+)"/.exec(disposition ?? '')?.[1] ?? 'audit-log';

function saveAs(parts: BlobPart[], type: string, name: string) {
  const href = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken the blob once the click's task ran.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export function AuditExport() {
  const t = useTranslations('auditLog.export');
  const [format, setFormat] = useState<(typeof FORMATS)[number]>('jsonl');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();

  async function run() {
    setProblem(undefined);
    setProgress({ bytes: 0, lines: 0, total: 0, done: false });
    try {
      const response = await fetch(`/audit/export?format=${format}`, { credentials: 'same-origin' });
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => null)) as { code?: string; detail?: string; field?: string } | null;
        setProblem({ code: body?.code ?? `HTTP_${response.status}`, message: body?.detail, field: body?.field });
        setProgress(null);
        return;
      }
      const total = Number(response.headers.get('x-audit-lines')) || 0;
      const reader = response.body.getReader();
      const parts: Uint8Array[] = [];
      let bytes = 0;
      let lines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        bytes += value.length;
        for (const b of value) if (b === 0x0a) lines += 1;
        setProgress({ bytes, lines, total, done: false });
      }
      saveAs(parts as BlobPart[], response.headers.get('content-type') ?? 'application/octet-stream', filenameOf(response.headers.get('content-disposition')));
      setProgress({ bytes, lines, total, done: true });
    } catch (thrown) {
      // The stream broke off: the server stops a JSON Lines export at a line that does not verify.
      setProblem({ code: Code.AUDIT_EXPORT_INTERRUPTED, message: thrown instanceof Error ? thrown.message : String(thrown) });
      setProgress(null);
    }
  }

  const running = progress !== null && !progress.done;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor="audit-export-format" className={labelClass}>{t('format')}</label>
          <select id="audit-export-format" data-testid="audit-export-format" value={format} onChange={(e) => setFormat(e.target.value as (typeof FORMATS)[number])} className={inputClass} disabled={running}>
            {FORMATS.map((f) => <option key={f} value={f}>{t(`formats.${f}`)}</option>)}
          </select>
        </div>
        <button type="button" data-testid="audit-export" className={buttonClass} onClick={() => void run()} disabled={running}>{t('button')}</button>
      </div>
      <p className="text-sm text-slate-700">{t(`hints.${format}`)}</p>
      {progress ? (
        <div data-testid="audit-export-progress" data-done={progress.done ? 'true' : 'false'} role="status" className="space-y-1 text-sm">
          <progress className="w-full" max={progress.total || undefined} value={progress.total ? progress.lines : undefined} aria-label={t('progressLabel')} />
          <p>{t(progress.done ? 'finished' : 'received', { bytes: progress.bytes, lines: progress.lines, total: progress.total })}</p>
        </div>
      ) : null}
      <FormError error={problem as Parameters<typeof FormError>[0]['error']} id="audit-export-error" />
    </div>
  );
}
