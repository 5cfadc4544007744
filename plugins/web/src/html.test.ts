import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from './html.js';

describe('html``', () => {
  it('escapes every interpolated value, in text and in quoted attributes', () => {
    const evil = `"><script>alert('x')</script>&\``;
    expect(html`<a title="${evil}">${evil}</a>`.toString()).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</a>',
    );
  });

  it('keeps nested html`` and raw() as markup, joins arrays, drops null, undefined and false', () => {
    const items = ['a<', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}${raw('<hr>')}`.toString()).toBe('<ul><li>a&lt;</li><li>b</li></ul>0<hr>');
  });

  it('escapes what is not a string', () => {
    expect(escapeHtml({ toString: () => '<b>' })).toBe('&lt;b&gt;');
  });
});
