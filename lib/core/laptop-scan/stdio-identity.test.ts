import { describe, expect, it } from "vitest";
import { stdioServerIdentity } from "./stdio-identity";

const id = (line: string) => {
  const [command, ...args] = line.split(" ");
  return stdioServerIdentity(command!, args);
};

describe("stdioServerIdentity", () => {
  it("is one server whatever paths, values and versions the command line carries", () => {
    const same = (lines: string[], identity: string) => expect(lines.map(id)).toEqual(lines.map(() => identity));
    same(["npx -y @modelcontextprotocol/server-filesystem /home/a", "npx -y @modelcontextprotocol/server-filesystem /home/b /tmp", "npx @modelcontextprotocol/server-filesystem@2025.1.14 ~/x", "npx --yes @modelcontextprotocol/server-filesystem@latest", "/usr/local/bin/npx -y @modelcontextprotocol/server-filesystem /srv", "npx.cmd -y @modelcontextprotocol/server-filesystem C:\\Users\\a", "cmd /c npx -y @modelcontextprotocol/server-filesystem C:\\data", "bunx @modelcontextprotocol/server-filesystem /a", "pnpm dlx @modelcontextprotocol/server-filesystem /a", "npm exec -y @modelcontextprotocol/server-filesystem -- /a"], "npm:@modelcontextprotocol/server-filesystem");
    same(["npx -y pkg@1.2", "npx -y pkg@1.3 --port 3000", "npx -p pkg@1.4 pkg-cli serve", "npx --registry https://npm.example pkg"], "npm:pkg");
    same(["uvx mcp-server-git --repository /src/a", "uvx mcp-server-git --repository /src/b", "uvx mcp-server-git==0.6.2", "uvx --python 3.12 mcp_server_git", "uvx --from mcp-server-git@latest mcp-server-git -r x", "uv tool run mcp-server-git --repository y", "pipx run mcp-server-git", "python -m mcp_server_git --repository z", "python3.12 -m mcp-server-git"], "pypi:mcp-server-git");
    same(["docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server", "docker run -i --rm -e TOKEN=REDACTED -v /a:/b ghcr.io/github/github-mcp-server:v0.5 stdio", "podman run --rm -i ghcr.io/github/github-mcp-server@sha256:abc"], "docker:ghcr.io/github/github-mcp-server");
    same(["node /Users/a/code/weather-mcp/build/index.js", "node --env-file .env C:\\code\\weather-mcp\\dist\\index.js --verbose", "node ./weather-mcp/index.js"], "script:weather-mcp/index.js");
    // A generic file name alone would merge unrelated servers: its folder is part of the name.
    same(["node /path/to/server.js", "node /other/path/to/server.js --port 1"], "script:to/server.js");
    same(["node /opt/tools/jira-mcp.js", "node C:\\tools\\jira-mcp.js --site x"], "script:jira-mcp.js");
    same(["python /home/a/servers/weather.py", "python3 weather.py --units metric", "uv run weather.py"], "script:weather.py");
    same(["uv --directory /home/a/code/weather run server.py", "uv --directory /home/b/weather run server.py --x 1"], "script:weather/server.py");
    same(["/opt/bin/mcp-server-foo --port 3", "mcp-server-foo --port 4", "env FOO=1 mcp-server-foo"], "bin:mcp-server-foo");
  });

  it("keeps different packages, images and scripts apart", () => {
    const ids = ["npx -y @modelcontextprotocol/server-filesystem /a", "npx -y @modelcontextprotocol/server-github", "npx -y @other/server-filesystem", "uvx mcp-server-git", "uvx mcp-server-fetch", "docker run -i ghcr.io/github/github-mcp-server", "docker run -i mcp/github", "node /a/weather-mcp/index.js", "node /a/news-mcp/index.js", "node /a/jira.js", "mcp-server-foo"].map(id);
    expect(new Set(ids).size).toBe(ids.length);
    // An npm and a PyPI package of the same name are different software.
    expect(id("npx mcp-server-fetch")).not.toBe(id("uvx mcp-server-fetch"));
  });

  it("falls back to the program when no package or script can be told", () => {
    expect(id("npx")).toBe("bin:npx");
    expect(id("docker run")).toBe("bin:docker");
    expect(id("node --version")).toBe("bin:node");
    expect(stdioServerIdentity("", [])).toBe("bin:");
  });
});
