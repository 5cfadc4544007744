// Writes docs/errors.md from the error catalogue (src/error-codes.ts, built): run it after
// adding or changing a code (`npm run build && node packages/runtime/scripts/errors-doc.mjs`).
// error-codes.test.ts fails while the page and the catalogue disagree.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../dist/error-codes.js';

const page = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
const cell = (text) => text.replaceAll('|', '\\|');
const rows = Object.entries(ERROR_CODES).map(([code, s]) => `| \`${code}\` | ${s.exit} | ${cell(s.meaning)} | ${cell(s.fix)} |`);
writeFileSync(
  page,
  `# Error codes

Every error Kora raises carries one of these codes, printed after the message (\`(KORA_ERR_…)\`) and
in the \`code\` field of JSON output, logs and status. Each code has one meaning. The exit code is
what a command (or the gateway's boot) ends with when that error ends it. The table is
\`ERROR_CODES\` in \`packages/runtime/src/error-codes.ts\`; this page is written from it by
\`node packages/runtime/scripts/errors-doc.mjs\`, and a test fails when the two disagree.

| code | exit | meaning | what to do |
|---|---|---|---|
${rows.join('\n')}
`,
);
