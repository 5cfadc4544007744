// `kora__proposals`, a tool exposed over MCP (and offered to the engine like every tool): list
// the proposals, approve or reject one. Deciding needs a caller a surface vouches for — the MCP
// server passes `mcp:<caller id>` as the call's actor, and that is who the audit row names. The
// model's own calls carry no actor: it may read the proposals, never decide on them.
import { KoraError, z, type ToolSpec } from '@kora/runtime';
import type { ProposalDesk } from './desk.js';
import { LOOPS, STATUSES } from './proposal.js';
import { listQuery, proposalId, reasonOf } from './query.js';

export const PROPOSALS_TOOL = 'kora__proposals';

const inputSchema = z
  .object({
    action: z.enum(['list', 'approve', 'reject']),
    id: z.string().optional(),
    status: z.enum([...STATUSES, 'all']).optional(),
    loop: z.enum(LOOPS).optional(),
    limit: z.number().int().min(1).max(500).optional(),
    reason: z.string().max(512).optional(),
  })
  .strict();

export function proposalsTool(desk: ProposalDesk): ToolSpec {
  return {
    name: PROPOSALS_TOOL,
    description:
      'The learning loops\' proposals (phrasebook, snapshot_expand, router_tuning, tool_trimming, probe_fix_envelopes). action "list" (optional status, loop, limit) answers { proposals, counts }; "approve" or "reject" (id, optional reason) decides a pending one and answers { proposal }, audited with the MCP caller.',
    inputSchema: z.toJSONSchema(inputSchema) as Record<string, unknown>,
    mcp: true,
    async run(input, { actor }) {
      const parsed = inputSchema.safeParse(input);
      if (!parsed.success) throw new KoraError('KORA_ERR_USAGE', `${PROPOSALS_TOOL}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
      const { action, ...rest } = parsed.data;
      if (action === 'list') return desk.list(listQuery(rest));
      if (actor === undefined) {
        throw new KoraError('KORA_ERR_PROPOSAL_NEEDS_A_PERSON', `${PROPOSALS_TOOL} cannot ${action} a proposal for a caller no surface vouches for (the model itself): a person decides, over MCP with a caller token, in the admin UI, or with \`kora proposals ${action}\``);
      }
      const proposal = await desk.decide(proposalId(rest.id), action === 'approve' ? 'approved' : 'rejected', actor, reasonOf(rest.reason));
      return { proposal };
    },
  };
}
