// Kora's four hooks, registered on the catalogued names: the adapters between a hook's payload and
// the pure decisions in cost-ladder.ts, haiku-router.ts, audit.ts and tool-bridge.ts.
import { readEnvFlag, type PluginContext } from '@kora/runtime';
import { ESCALATED_SEAM, llmAuditDetails, matchedPattern, LLM_CALL_SEAM, toolAuditDetails, TOOL_CALL_SEAM } from './audit.js';
import type { KoraSettings } from './config.js';
import { decideModel, ladderChange, modelFor } from './cost-ladder.js';
import { isCostRung, type CostRungName } from './cost-rung.js';
import { openingWords, textDigest } from './digest.js';
import { decideReissue } from './haiku-router.js';
import { answerKoraTool, bridgedToolSpecs } from './tool-bridge.js';
import { answerText, latestQuestion, loopIteration } from './turn.js';

export const FORCE_STRONG_ENV = 'KORA_FORCE_OPUS';
export const DISABLE_ESCALATION_ENV = 'KORA_DISABLE_POST_CALL_ESCALATION';

export const KORA_HOOKS = ['pre_api_request_mutable', 'post_llm_call_can_reissue', 'post_llm_call', 'post_tool_call', 'pre_tool_call_can_provide_result'] as const;

/** The budget rung now: the `cost.rung` service's, `normal` when none is provided or it cannot answer. */
function currentRung(ctx: PluginContext<unknown>): CostRungName {
  const service = ctx.services.tryGet('cost.rung');
  if (service === undefined) return 'normal';
  try {
    const rung = service.current();
    if (isCostRung(rung)) return rung;
    ctx.log.warn({ rung }, `the cost.rung service answered ${JSON.stringify(rung)}, not one of normal, warn_75, downshift_90, hard_stop_100; the cost ladder reads it as normal`);
  } catch (err) {
    ctx.log.warn({ err }, 'the cost.rung service failed; the cost ladder reads the rung as normal');
  }
  return 'normal';
}

/**
 * The decision patterns in effect now: the configured ones, less those a person removed and plus
 * those a person added through the learning loop `promote_router_tuning` (the `proposals`
 * service, read at every call so an approval takes effect at once). Compiled once per change.
 */
function decisionPatterns(ctx: PluginContext<unknown>, settings: KoraSettings): () => readonly RegExp[] {
  let cached: { key: string; patterns: readonly RegExp[] } | undefined;
  return function patternsNow() {
    const service = ctx.services.tryGet('proposals');
    let tuned: { readonly add: readonly string[]; readonly remove: readonly string[] } = { add: [], remove: [] };
    if (service !== undefined) {
      try {
        tuned = service.routerPatterns();
      } catch (err) {
        ctx.log.warn({ err }, 'the proposals service failed; the cost ladder uses the configured decision patterns');
      }
    }
    if (tuned.add.length === 0 && tuned.remove.length === 0) return settings.decisionPatterns;
    const key = JSON.stringify(tuned);
    if (cached?.key === key) return cached.patterns;
    const removed = new Set(tuned.remove.map((source) => compile(source)?.source));
    const added = tuned.add.map(compile).filter((re): re is RegExp => re !== null);
    const patterns = [...settings.decisionPatterns.filter((re) => !removed.has(re.source)), ...added.filter((re) => !settings.decisionPatterns.some((own) => own.source === re.source))];
    cached = { key, patterns };
    return patterns;
  };
}

/** A pattern from the proposals service; one that does not compile is left out (the loop only proposes valid ones). */
function compile(source: string): RegExp | null {
  try {
    return new RegExp(source, 'iu');
  } catch {
    return null;
  }
}

/**
 * The model ids now: `plugins.config.kora.models` where set, else the engine's own tiers (the
 * reasoning plugin's `models`), else the defaults — so configuring the engine's models is enough.
 */
function modelsNow(ctx: PluginContext<unknown>, settings: KoraSettings): KoraSettings['models'] {
  const { configuredModels } = settings;
  if (configuredModels.cheap !== undefined && configuredModels.strong !== undefined) return settings.models;
  const engine = ctx.services.tryGet('engine')?.models;
  return {
    cheap: configuredModels.cheap ?? engine?.cheap ?? settings.models.cheap,
    strong: configuredModels.strong ?? engine?.strong ?? settings.models.strong,
  };
}

export function registerKoraHooks(ctx: PluginContext<unknown>, settings: KoraSettings): void {
  // Read once, at register: a value that is neither on nor off fails the plugin, naming the variable.
  const forceStrong = readEnvFlag(ctx.env, FORCE_STRONG_ENV);
  const escalationDisabled = readEnvFlag(ctx.env, DISABLE_ESCALATION_ENV);
  const patternsNow = decisionPatterns(ctx, settings);

  ctx.on('pre_api_request_mutable', function costLadder(turn) {
    const { request } = turn;
    const decision = decideModel({
      route: turn.route,
      iteration: turn.iteration,
      question: latestQuestion(request.messages),
      rung: currentRung(ctx),
      forceStrong,
      decisionPatterns: patternsNow(),
    });
    if (decision.action === 'skip') return null;
    if (decision.action === 'refuse') {
      ctx.log.warn({ code: decision.refusal.code, rung: decision.refusal.rung, route: turn.route }, decision.refusal.message);
      return { refusal: { code: decision.refusal.code, message: decision.refusal.message } };
    }
    ctx.log.debug({ tier: decision.tier, rule: decision.rule }, `cost ladder: ${decision.tier} model (${decision.rule})`);
    const change = ladderChange(request, modelFor(decision.tier, { models: modelsNow(ctx, settings) }));
    return change ? { request: { ...request, ...change } } : null;
  });

  ctx.on('post_llm_call_can_reissue', async function haikuRouter(event) {
    const question = latestQuestion(event.request.messages);
    const decision = decideReissue(
      {
        route: event.route,
        iteration: loopIteration(event.request.messages),
        model: event.request.model,
        stopReason: event.response.stop_reason,
        question,
        answer: answerText(event.response),
        disabled: escalationDisabled,
      },
      { ...settings, models: modelsNow(ctx, settings) },
    );
    if (!decision.reissue) return null;
    ctx.log.debug({ reason: decision.reason }, `haiku router: re-asking ${decision.model}`);
    // For promote_router_tuning: which question was too hard for the cheap model. The reason's
    // kind only (its text quotes the cheap answer), the question as a digest and its first words.
    await ctx.audit(ESCALATED_SEAM, {
      route: event.route,
      ...(event.conversationId !== undefined ? { conversationId: event.conversationId } : {}),
      from: event.request.model,
      to: decision.model,
      reason: decision.reason.split(':', 1)[0],
      questionDigest: textDigest(question),
      questionOpening: openingWords(question),
      decisionPattern: matchedPattern(question, patternsNow()),
    });
    return { model: decision.model, reason: decision.reason };
  });

  ctx.on('post_llm_call', async function auditLlmCall(event) {
    await ctx.audit(LLM_CALL_SEAM, llmAuditDetails(event, settings.audit, { decisionPatterns: patternsNow() }));
  });

  ctx.on('post_tool_call', async function auditToolCall(event) {
    await ctx.audit(TOOL_CALL_SEAM, toolAuditDetails(event, settings.audit));
  });

  ctx.on('pre_tool_call_can_provide_result', async function koraToolBridge(call) {
    const answer = await answerKoraTool(call, ctx.gateway);
    return answer === null ? null : { result: answer };
  });

  // Registered so the engine offers them to the model; the bridge above answers them first, and
  // `run` gives the same answer when the pipeline reaches it.
  for (const spec of bridgedToolSpecs()) {
    ctx.registerTool({ ...spec, run: async (input) => answerKoraTool({ tool: spec.name, input }, ctx.gateway) });
  }
}
