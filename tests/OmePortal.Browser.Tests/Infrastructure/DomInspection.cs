using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// What must never be in the DOM of a sanitised mail body (or leak from headers into the page):
/// active elements, event handler attributes, script URLs, foreign content, shadow roots — and, for
/// EFAIL, a secret of one MIME part inside an attribute.
/// </summary>
public static class DomInspection
{
    private const string Script =
        """
        ([strict, secret]) => {
          const problems = [];
          const forbidden = ['script','iframe','frame','frameset','object','embed','applet','portal','form','input','button','select',
                             'textarea','option','isindex','keygen','base','meta','link','svg','math','template','noscript','video','audio','source','track'];
          const scriptUrl = /^(javascript|vbscript|livescript|data:(?!image\/(png|jpe?g|gif|webp)[;,]))/;
          const urlAttrs = ['href','src','action','formaction','xlink:href','poster','background','srcset','data','codebase','lowsrc','ping','cite','longdesc','usemap','dynsrc'];
          const walk = (root, where) => {
            for (const e of root.querySelectorAll('*')) {
              const tag = e.localName;
              if (strict && forbidden.includes(tag)) problems.push(`${where}: <${tag}> element`);
              if (strict && e.namespaceURI !== 'http://www.w3.org/1999/xhtml') problems.push(`${where}: foreign element <${tag}> (${e.namespaceURI})`);
              for (const a of e.attributes) {
                const name = a.name.toLowerCase();
                const value = a.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
                if (name.startsWith('on')) problems.push(`${where}: <${tag} ${name}="${a.value.slice(0, 60)}">`);
                if (urlAttrs.includes(name) && scriptUrl.test(value)) problems.push(`${where}: <${tag} ${name}="${a.value.slice(0, 60)}">`);
                if (strict && name === 'style' && /url\(|@import|expression|image-set|binding|behavior/i.test(a.value) && !/url\(\s*['"]?(data:image\/|\/messages\/)/i.test(a.value))
                  problems.push(`${where}: <${tag} style="${a.value.slice(0, 80)}">`);
                if (secret && a.value.includes(secret)) problems.push(`${where}: the secret is inside <${tag} ${name}="${a.value.slice(0, 80)}">`);
              }
              if (e.shadowRoot) { problems.push(`${where}: shadow root on <${tag}>`); walk(e.shadowRoot, where + ' (shadow)'); }
            }
          };
          walk(document.body || document, location.pathname);
          return problems;
        }
        """;

    /// <summary>Problems in a body frame document (strict: only inert formatting may remain).</summary>
    public static Task<string[]> BodyProblemsAsync(IFrame frame, string? secret = null) =>
        frame.EvaluateAsync<string[]>(Script, new object?[] { true, secret });

    /// <summary>Problems in the portal's own page (lenient: the page has its own forms and scripts; nothing from the mail may act).</summary>
    public static Task<string[]> PageProblemsAsync(IPage page, string? secret = null) =>
        page.EvaluateAsync<string[]>(Script, new object?[] { false, secret });
}
