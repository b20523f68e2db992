"use client";

import type { FormAction } from "@/lib/auth/action-result";
import { formatWindow, type RateLimitOutput } from "@/lib/rate-limits/schemas";
import { SubjectField } from "../policies/subject-field";
import { Field, Input, Select } from "../ui/field";
import { ServerSelect } from "../servers/server-select";
import { EdgeEditorForm } from "../ui/row-actions";

export interface RateLimitEditorProps {
  action: FormAction<RateLimitOutput>;
  /** The limit being edited; absent for a new one. */
  rateLimit?: RateLimitOutput;
  /** Suggestions for the subject field: team:…, user:… */
  subjects: string[];
  servers: string[];
}

/** Create or edit one rate limit. Uncontrolled, like the other editors. */
export function RateLimitEditor({ action, rateLimit, subjects, servers }: RateLimitEditorProps) {
  return (
    <EdgeEditorForm action={action} item={rateLimit} noun="rate limit">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name">
          <Input name="name" required maxLength={100} defaultValue={rateLimit?.name} placeholder="Tool calls per user" />
        </Field>
        <SubjectField listId="rate-limit-subjects" hint="everyone, team:<slug>, user:<e-mail> or token:<id>" suggestions={["everyone", ...subjects]} defaultValue={rateLimit?.subject ?? "everyone"} />
      </div>
      <div className="grid gap-3 sm:grid-cols-4">
        <Field label="Requests">
          <Input name="limit" required inputMode="numeric" defaultValue={rateLimit ? String(rateLimit.limit) : ""} placeholder="60" />
        </Field>
        <Field label="Per window" hint="30s, 1m, 1h, 1d or seconds">
          <Input name="window" required defaultValue={rateLimit ? formatWindow(rateLimit.window) : "1m"} />
        </Field>
        <Field label="Counted per">
          <Select name="per" defaultValue={rateLimit?.per ?? "user"}>
            <option value="user">User</option>
            <option value="team">Team (members share)</option>
            <option value="token">API token</option>
          </Select>
        </Field>
        <Field label="Calls">
          <Select name="scope" defaultValue={rateLimit?.scope ?? "mcp"}>
            <option value="mcp">MCP</option>
            <option value="llm">LLM gateway</option>
            <option value="all">Both</option>
          </Select>
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Server (MCP only)">
          <ServerSelect servers={servers} every={{ value: "", label: "Every server" }} saved={rateLimit?.server} />
        </Field>
        <Field label="Tool (MCP only)" hint="Upstream tool name or glob, e.g. search_*; empty: every tool">
          <Input name="tool" maxLength={200} defaultValue={rateLimit?.tool ?? ""} />
        </Field>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={rateLimit?.enabled ?? true} /> Enabled
      </label>
    </EdgeEditorForm>
  );
}
