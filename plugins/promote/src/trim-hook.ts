// `pre_tool_list_finalized`: the tools a person dropped from a route (approved tool-trimming
// proposals) leave that route's list. A `first` hook: this plugin answers only when it removes
// something, so other plugins' callbacks still decide every other list.
import type { LlmTool } from '@kora/runtime';
import type { ApprovedCache } from './approved.js';

export function trimToolList(cache: Pick<ApprovedCache, 'trimmedTools'>, route: string | undefined, tools: readonly LlmTool[]): LlmTool[] | null {
  if (route === undefined) return null;
  const dropped = new Set(cache.trimmedTools(route));
  if (dropped.size === 0) return null;
  const kept = tools.filter((tool) => !dropped.has(tool.name));
  return kept.length === tools.length ? null : kept;
}
