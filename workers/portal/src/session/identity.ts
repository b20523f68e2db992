/** How the portal introduces itself to a 2025-revision client at `/mcp` (a session's initialize answer), whichever object or isolate answers it. */
export const PORTAL_SERVER_INFO = { name: "portcullis", version: "0.1.0", title: "Portcullis MCP portal" };
export const PORTAL_INSTRUCTIONS = "Portcullis portal: the company's approved MCP servers behind one endpoint. Tools and prompts are named `<server>_<name>`.";
