import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { adoptionPlan, shellQuote, slugFor } from "./adopt";
import { assertNoSecrets } from "./report";
import { parseConfig } from "./parse";

/** What a POSIX shell makes of a command line: its words, one per line (each printed by printf). */
function shellWords(line: string): string[] {
  return execFileSync("sh", ["-c", `printf '%s\\n' ${line}`], { encoding: "utf8" }).split("\n").slice(0, -1);
}

const GITHUB_TOKEN = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const API_KEY = "sk-live-4f9a1c2e8b7d6a5f4e3d2c1b0a9f8e7d";

/** A laptop's config as the scan CLI reads it, then reduced to its redacted report form. */
function scanned(entry: Record<string, unknown>) {
  const { servers } = parseConfig({ client: "claude-desktop", path: "/Users/dana/Library/claude_desktop_config.json", format: "mcpServers" }, JSON.stringify({ mcpServers: { github: entry } }));
  const s = servers[0]!;
  return { name: s.name, command: s.command ?? "", args: s.args ?? [], envNames: s.envNames };
}

describe("adoptionPlan", () => {
  it("gives the bridge command for the configured command line, environment variables as placeholders", () => {
    const plan = adoptionPlan(scanned({ command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], env: { GITHUB_PERSONAL_ACCESS_TOKEN: GITHUB_TOKEN } }));
    expect(plan).toMatchObject({
      name: "github",
      slug: "github",
      url: "http://127.0.0.1:8790/mcp",
      env: ["GITHUB_PERSONAL_ACCESS_TOKEN"],
      setup: ["export GITHUB_PERSONAL_ACCESS_TOKEN='<GITHUB_PERSONAL_ACCESS_TOKEN>'"],
      bridge: "npx portcullis bridge --name github -- npx -y @modelcontextprotocol/server-github",
      newServer: "npx portcullis new-server github",
      placeholders: ["GITHUB_PERSONAL_ACCESS_TOKEN"],
    });
    assertNoSecrets(plan, [GITHUB_TOKEN]);
  });

  it("replaces tokens in arguments, header values and URL credentials by named placeholders", () => {
    const config = scanned({
      command: "npx",
      args: ["-y", "mcp-server-x", "--api-key", API_KEY, `--token=${GITHUB_TOKEN}`, "--header", `Authorization: Bearer ${GITHUB_TOKEN}`, "https://dana:hunter2-pass@db.example.com:5432/app?sslmode=require&password=s3cr3t-v4lue", "-e", `SLACK_TOKEN=${API_KEY}`, API_KEY],
      env: { LOG_LEVEL: "debug" },
    });
    const plan = adoptionPlan(config);
    expect(plan.bridge).toBe(
      "npx portcullis bridge --name github -- npx -y mcp-server-x --api-key '<API_KEY>' '--token=<TOKEN>' --header 'Authorization: <AUTHORIZATION>' " +
        "'https://<URL_CREDENTIALS>@db.example.com:5432/app?sslmode=require&password=<PASSWORD>' -e 'SLACK_TOKEN=<SLACK_TOKEN>' '<SECRET>'",
    );
    expect(plan.placeholders).toEqual(["LOG_LEVEL", "API_KEY", "TOKEN", "AUTHORIZATION", "URL_CREDENTIALS", "PASSWORD", "SLACK_TOKEN", "SECRET"]);
    expect(plan.setup).toEqual(["export LOG_LEVEL='<LOG_LEVEL>'"]);
    assertNoSecrets(plan, [API_KEY, GITHUB_TOKEN, "hunter2-pass", "s3cr3t-v4lue", "debug"]);
  });

  it("redacts again what a report that did not come from the scan CLI still holds", () => {
    // A report is posted by anyone with a token: its arguments are not trusted to be redacted.
    const plan = adoptionPlan({ name: "raw", command: "node", args: ["server.js", `--token=${GITHUB_TOKEN}`, `https://u:${API_KEY}@h.example/mcp`, API_KEY], envNames: [] });
    expect(plan.bridge).toBe("npx portcullis bridge --name raw -- node server.js '--token=<TOKEN>' 'https://<URL_CREDENTIALS>@h.example/mcp' '<SECRET>'");
    assertNoSecrets(plan, [GITHUB_TOKEN, API_KEY]);
  });

  it("quotes arguments with spaces, quotes and shell characters so the shell sees exactly the configured words", () => {
    const args = ["--root", "/Users/dana/My Notes", "--title", "Dana's \"work\" notes", "$(touch /tmp/pwned)", "a;b|c&d", "", "~/x", "*.md"];
    const plan = adoptionPlan({ name: "notes", command: "/opt/My Tools/notes-mcp", args, envNames: [] });
    const tail = plan.bridge.slice(plan.bridge.indexOf(" -- ") + 4);
    expect(shellWords(tail)).toEqual(["/opt/My Tools/notes-mcp", ...args]);
    expect(plan.commandLine).toBe(tail);
  });

  it("keeps environment names that are not valid shell names out of the setup lines", () => {
    const plan = adoptionPlan({ name: "x", command: "mcp-x", args: [], envNames: ["GOOD_NAME", "BAD;rm -rf ~", "1ABC", "GOOD_NAME"] });
    expect(plan.env).toEqual(["GOOD_NAME"]);
    expect(plan.setup).toEqual(["export GOOD_NAME='<GOOD_NAME>'"]);
  });

  it("names the portal only when it is not the bridge's default, and makes a slug from any name", () => {
    expect(adoptionPlan({ name: "Team Memory!", command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"], envNames: [] }, { portal: "https://portal.acme.test/" }).bridge).toBe(
      "npx portcullis bridge --portal https://portal.acme.test --name team-memory -- npx -y @modelcontextprotocol/server-memory",
    );
    expect(adoptionPlan({ name: "m", command: "mcp-m", args: [], envNames: [] }, { portal: "http://localhost:8787" }).bridge).toBe("npx portcullis bridge --name bridged-m -- mcp-m");
    expect(slugFor("@modelcontextprotocol/server-memory")).toBe("server-memory");
  });
});

describe("shellQuote", () => {
  it("leaves safe words alone and single-quotes the rest", () => {
    expect(shellQuote("@scope/pkg@1.2.3")).toBe("@scope/pkg@1.2.3");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
    expect(shellWords(["it's", "a \"b\"", "$HOME", "`id`", "\\n"].map(shellQuote).join(" "))).toEqual(["it's", "a \"b\"", "$HOME", "`id`", "\\n"]);
  });
});
