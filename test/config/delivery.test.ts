import { describe, expect, it } from 'vitest';
import { DeliveryConfigError, describeChannels, loadDeliveryConfig } from '../../shared/config/delivery.ts';

const local = { publicUrl: 'http://127.0.0.1:3000' };

describe('delivery settings from the environment', () => {
  it('leaves every channel off when nothing is set, links to the local API', () => {
    expect(loadDeliveryConfig({}, local)).toEqual({ publicUrl: 'http://127.0.0.1:3000' });
  });

  it('reads every channel, trims the public URL and de-duplicates recipients', () => {
    const config = loadDeliveryConfig(
      {
        WATCHER_PUBLIC_URL: 'https://tw.example.com/',
        WATCHER_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/secret',
        WATCHER_SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465',
        WATCHER_MAIL_FROM: 'termwatch@example.com',
        WATCHER_MAIL_TO: ' finance@example.com, CFO@example.com ,finance@example.com',
      },
      local,
    );
    expect(config).toEqual({
      publicUrl: 'https://tw.example.com',
      slack: { webhookUrl: 'https://hooks.slack.com/services/T/B/secret' },
      mail: { smtpUrl: 'smtps://user:p%40ss@mail.example.com:465', from: 'termwatch@example.com', to: ['finance@example.com', 'cfo@example.com'] },
    });
    const lines = describeChannels(config).join('\n');
    expect(lines).toContain('Slack:        on (hooks.slack.com)');
    expect(lines).toContain('Email digest: on (to finance@example.com, cfo@example.com via mail.example.com:465)');
    // Neither the webhook's secret path nor the SMTP password is printed.
    expect(lines).not.toContain('secret');
    expect(lines).not.toContain('p%40ss');
  });

  it.each([
    ['WATCHER_PUBLIC_URL', { WATCHER_PUBLIC_URL: 'tw.example.com' }],
    ['WATCHER_PUBLIC_URL', { WATCHER_PUBLIC_URL: 'javascript:alert(1)' }],
    ['WATCHER_SLACK_WEBHOOK_URL', { WATCHER_SLACK_WEBHOOK_URL: 'not a url' }],
    ['WATCHER_SLACK_WEBHOOK_URL', { WATCHER_SLACK_WEBHOOK_URL: 'ftp://hooks.slack.com/x' }],
    ['WATCHER_SMTP_URL', { WATCHER_SMTP_URL: 'http://mail.example.com', WATCHER_MAIL_FROM: 'a@example.com', WATCHER_MAIL_TO: 'b@example.com' }],
    ['WATCHER_MAIL_FROM', { WATCHER_SMTP_URL: 'smtp://m.example.com', WATCHER_MAIL_FROM: 'Termwatch <a@example.com>', WATCHER_MAIL_TO: 'b@example.com' }],
    ['WATCHER_MAIL_FROM', { WATCHER_SMTP_URL: 'smtp://m.example.com', WATCHER_MAIL_TO: 'b@example.com' }],
    [
      'WATCHER_MAIL_TO',
      { WATCHER_SMTP_URL: 'smtp://m.example.com', WATCHER_MAIL_FROM: 'a@example.com', WATCHER_MAIL_TO: 'b@example.com,\r\nBcc: c@evil.example' },
    ],
    ['WATCHER_MAIL_TO', { WATCHER_SMTP_URL: 'smtp://m.example.com', WATCHER_MAIL_FROM: 'a@example.com', WATCHER_MAIL_TO: ' , ' }],
    ['WATCHER_MAIL_TO', { WATCHER_SMTP_URL: 'smtp://m.example.com', WATCHER_MAIL_FROM: 'a@example.com' }],
    ['WATCHER_SMTP_URL', { WATCHER_MAIL_FROM: 'a@example.com', WATCHER_MAIL_TO: 'b@example.com' }],
  ])('refuses a malformed or incomplete %s, naming it', (variable, env) => {
    let error: unknown;
    try {
      loadDeliveryConfig(env, local);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeliveryConfigError);
    expect((error as DeliveryConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable} `)).toBe(true);
  });

  it('on AWS (SES sends) refuses an SMTP URL and needs only the addresses', () => {
    expect(() => loadDeliveryConfig({ WATCHER_SMTP_URL: 'smtp://m.example.com' }, { ...local, smtp: false })).toThrow(/WATCHER_SMTP_URL is not used here/);
    expect(loadDeliveryConfig({ WATCHER_MAIL_FROM: 'a@example.com', WATCHER_MAIL_TO: 'b@example.com' }, { ...local, smtp: false }).mail).toEqual({
      from: 'a@example.com',
      to: ['b@example.com'],
    });
  });
});
