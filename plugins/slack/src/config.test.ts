import { describe, expect, it } from 'vitest';
import { slackConfigSchema, slackSettings } from './config.js';

describe('the slack settings', () => {
  it.each([
    ['Slack’s own API by default', {}, undefined, 'https://slack.com/api/'],
    ['the config’s apiUrl, with the slash the client needs', {}, { apiUrl: 'http://127.0.0.1:9/api' }, 'http://127.0.0.1:9/api/'],
    ['KORA_SLACK_API_URL over the config', { KORA_SLACK_API_URL: 'http://127.0.0.1:7/api/' }, { apiUrl: 'http://127.0.0.1:9/api' }, 'http://127.0.0.1:7/api/'],
  ])('calls %s', (_what, env, config, apiUrl) => {
    expect(slackSettings(config, env)).toMatchObject({ apiUrl });
  });

  it('reads the token from KORA_SLACK_BOT_TOKEN only, a blank one being none', () => {
    expect(slackSettings(undefined, { KORA_SLACK_BOT_TOKEN: ' xoxb-1 ' })).toMatchObject({ token: 'xoxb-1' });
    expect(slackSettings(undefined, { KORA_SLACK_BOT_TOKEN: '  ' })).toMatchObject({ token: null });
    expect(slackConfigSchema.safeParse({ token: 'xoxb-1' }).success).toBe(false);
  });

  it('refuses a KORA_SLACK_API_URL that is not an http(s) URL, naming it', () => {
    expect(slackSettings(undefined, { KORA_SLACK_API_URL: 'slack.com/api' })).toEqual({ error: expect.stringContaining('KORA_SLACK_API_URL is not an http(s) URL: "slack.com/api"') });
  });

  it('takes the DM consumer’s attempts and backoff, and refuses a backoff that is not a duration', () => {
    expect(slackSettings(slackConfigSchema.parse({ dm: { attempts: 3, backoff: '2m' } }), {})).toMatchObject({ dmAttempts: 3, dmBackoff: '2m' });
    expect(slackSettings(undefined, {})).toMatchObject({ dmAttempts: 5, dmBackoff: '5s', retries: 2, requestTimeoutMs: 10_000 });
    expect(slackConfigSchema.safeParse({ dm: { backoff: 'soon' } }).success).toBe(false);
  });
});
