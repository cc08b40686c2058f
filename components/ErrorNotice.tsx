// How an error looks wherever it is shown: the code, its meaning from the registry, the field at fault.
export function ErrorNotice({ id, code, text, field }: { id?: string; code: string; text: string; field?: string }) {
  return (
    <div id={id} role="alert" data-error-code={code} className="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900">
      <p className="font-semibold">
        <code className="font-mono text-xs">{code}</code>
      </p>
      <p className="mt-1">{text}</p>
      {field ? <p className="mt-1">{field}</p> : null}
    </div>
  );
}
