// A real MCP server on the official SDK, for the mcp_consumption tests: run as a child process
// (`node mcp-server.mjs`, stdio), or imported and served over Streamable HTTP by the test.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export function buildServer(label = 'fixture') {
  const server = new McpServer({ name: label, version: '1.0.0' });
  server.registerTool('echo', { description: 'Says the text back', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text: `${label}: ${text}` }] }));
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool('fail', { description: 'Always fails' }, () => ({ isError: true, content: [{ type: 'text', text: 'the fixture refuses' }] }));
  server.registerTool('whoami', { description: 'The process id and a variable of the environment' }, () => ({
    content: [{ type: 'text', text: JSON.stringify({ pid: process.pid, token: process.env.FIXTURE_TOKEN ?? null, home: process.env.KORA_SECRET_LEAK ?? null }) }],
  }));
  server.registerTool('bad.name!', { description: 'A name the model would not take' }, () => ({ content: [] }));
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildServer(process.argv[2] ?? 'stdio').connect(new StdioServerTransport());
}
