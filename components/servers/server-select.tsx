import { Select } from "../ui/field";

/**
 * The `server` field of an editor: the option that means every server, then the approved servers.
 * A saved server that is no longer approved stays in the list, marked, so that saving other changes
 * does not quietly change what the saved rule covers.
 */
export function ServerSelect({
  servers,
  every,
  saved,
  choose,
}: {
  servers: string[];
  every: { value: string; label: string };
  saved?: string | null;
  /** For a new rule: no server is preselected; the person picks one (or every server) explicitly. */
  choose?: string;
}) {
  const pick = choose && saved == null;
  return (
    <Select name="server" defaultValue={pick ? "" : (saved ?? every.value)} required={Boolean(choose)}>
      {pick && (
        <option value="" disabled>
          {choose}
        </option>
      )}
      <option value={every.value}>{every.label}</option>
      {servers.map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
      {saved && saved !== every.value && !servers.includes(saved) && <option value={saved}>{saved} (not approved)</option>}
    </Select>
  );
}
