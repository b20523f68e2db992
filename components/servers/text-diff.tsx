import type { textDiff } from "@core/tools/tool-diff";

export function TextDiff({ parts }: { parts: ReturnType<typeof textDiff> }) {
  return (
    <p className="font-mono text-xs whitespace-pre-wrap">
      {parts.map((p, i) =>
        p.op === "same" ? (
          <span key={i}>{p.text}</span>
        ) : p.op === "add" ? (
          <ins key={i} className="bg-emerald-100 text-emerald-900 no-underline" data-testid="diff-add">
            {p.text}
          </ins>
        ) : (
          <del key={i} className="bg-red-100 text-red-900" data-testid="diff-del">
            {p.text}
          </del>
        ),
      )}
    </p>
  );
}
