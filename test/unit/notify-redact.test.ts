import { describe, expect, it } from 'vitest';
import { makeScrubber, redactUrl, urlSecrets } from '../../src/notify/redact.js';

describe('redactUrl', () => {
  it('keeps scheme, host and the first path segment only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe('https://hooks.slack.com/services…/****');
    expect(redactUrl('https://discord.com/api/webhooks/123/tok')).toBe('https://discord.com/api…/****');
    expect(redactUrl('http://127.0.0.1:8080/hooks/SENTINEL-SECRET-123')).toBe('http://127.0.0.1:8080/hooks…/****');
  });
  it('drops userinfo, query and fragment', () => {
    expect(redactUrl('https://u:p@example.com/x/y?sig=abc#f')).toBe('https://example.com/x…/****');
    expect(redactUrl('https://example.com/?token=abc')).toBe('https://example.com/****');
    expect(redactUrl('https://example.com')).toBe('https://example.com/****');
  });
  it('masks what is not a URL at all', () => {
    expect(redactUrl('not a url SECRET')).toBe('****');
  });
});

describe('makeScrubber', () => {
  const url = 'https://user:pw-secret@prod-1.logic.azure.com/workflows/abc123def/triggers/manual?api-version=1&sig=SIGVALUE99';
  const scrub = makeScrubber([...urlSecrets(url), 'Bearer tok-456789']);

  it('redacts URLs in a message and masks secret pieces anywhere', () => {
    const msg = `POST ${url} failed; path /workflows/abc123def/triggers/manual; sig SIGVALUE99; auth Bearer tok-456789`;
    const out = scrub(msg);
    expect(out).toContain('https://prod-1.logic.azure.com/workflows…/****');
    for (const s of ['abc123def', 'SIGVALUE99', 'tok-456789', 'pw-secret']) expect(out).not.toContain(s);
  });

  it('leaves ordinary text alone', () => {
    expect(scrub('HTTP 500: internal error')).toBe('HTTP 500: internal error');
  });

  it('ignores secrets too short to mask safely', () => {
    expect(makeScrubber(['ab'])('about')).toBe('about');
  });
});
