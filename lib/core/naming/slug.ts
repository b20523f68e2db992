/**
 * The slug a name suggests, as forms fill it in while the person types the name: lowercase ASCII
 * letters and digits, single hyphens, at most 40 characters (the rule of server and team slugs).
 */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}
