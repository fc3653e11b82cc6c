using System.Collections.Concurrent;
using System.Text;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Watches one browser context for the two things hostile mail must never achieve: running script
/// and reaching any host but the portal. Script is detected by a marker function every payload calls
/// (<c>pwn()</c>, installed in every document by an init script), a <c>pwned</c> global, dialogs,
/// console output containing "pwned", and navigations away from the portal. Requests are seen through
/// the context's request events (every page, frame and worker) and web sockets.
/// </summary>
public sealed class LeakWatch
{
    /// <summary>Installed into every document before its own scripts: a payload that runs calls it or sets window.pwned.</summary>
    public const string InitScript =
        """
        (() => {
          const flags = [];
          Object.defineProperty(window, '__omeFlags', { value: flags, configurable: false });
          window.pwn = (m) => { flags.push(String(m)); try { console.log('pwned:' + m); } catch (e) {} };
        })();
        """;

    private readonly Uri _portal;
    private readonly ConcurrentQueue<string> _foreignRequests = new();
    private readonly ConcurrentQueue<string> _foreignResponses = new();
    private readonly ConcurrentQueue<string> _incidents = new();
    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);

    private LeakWatch(Uri portal) => _portal = portal;

    public IReadOnlyList<string> ForeignRequests => [.. _foreignRequests.Select(e => e[..e.LastIndexOf('|')])];

    public IReadOnlyList<string> Incidents => [.. _incidents];

    public static async Task<LeakWatch> AttachAsync(IBrowserContext context, string portalBaseUrl)
    {
        var watch = new LeakWatch(new Uri(portalBaseUrl));
        await context.AddInitScriptAsync(InitScript);
        context.Request += (_, request) =>
        {
            if (!watch.IsPortalOrLocal(request.Url))
            {
                watch._foreignRequests.Enqueue($"{request.Method} {request.Url} ({request.ResourceType}, from frame {SafeFrameUrl(request)})|{request.Url}");
            }
        };
        context.RequestFailed += (_, request) =>
        {
            if (!watch.IsPortalOrLocal(request.Url))
            {
                watch._failures[request.Url] = request.Failure ?? "failed";
            }
        };
        context.Response += (_, response) =>
        {
            if (!watch.IsPortalOrLocal(response.Url))
            {
                watch._foreignResponses.Enqueue($"{response.Status} {response.Url}");
            }
        };
        context.Page += (_, page) => watch.Watch(page);
        foreach (var page in context.Pages)
        {
            watch.Watch(page);
        }

        return watch;
    }

    private void Watch(IPage page)
    {
        page.Dialog += async (_, dialog) =>
        {
            _incidents.Enqueue($"dialog ({dialog.Type}): {dialog.Message}");
            await dialog.DismissAsync();
        };
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("pwned", StringComparison.OrdinalIgnoreCase))
            {
                _incidents.Enqueue($"console: {message.Text}");
            }
        };
        page.WebSocket += (_, socket) => _incidents.Enqueue($"web socket: {socket.Url}");
        page.FrameNavigated += (_, frame) =>
        {
            if (!IsPortalOrLocal(frame.Url))
            {
                _incidents.Enqueue($"frame navigated away to {frame.Url}");
            }
        };
        page.Popup += (_, popup) => _incidents.Enqueue($"popup opened: {popup.Url}");
    }

    /// <summary>Reads the script markers in every frame of <paramref name="page"/>; each frame that answers adds to the list.</summary>
    public async Task<IReadOnlyList<string>> ScriptMarkersAsync(IPage page)
    {
        var markers = new List<string>();
        foreach (var frame in page.Frames)
        {
            string? found;
            try
            {
                found = await frame.EvaluateAsync<string?>(
                    """
                    () => {
                      const out = [];
                      if (Array.isArray(window.__omeFlags) && window.__omeFlags.length) out.push('pwn(' + window.__omeFlags.join(',') + ')');
                      if (typeof window.pwned !== 'undefined') out.push('window.pwned=' + String(window.pwned));
                      if (document.documentElement && document.documentElement.hasAttribute('data-pwned')) out.push('data-pwned attribute');
                      return out.length ? out.join('; ') : null;
                    }
                    """);
            }
            catch (PlaywrightException ex)
            {
                found = "could not inspect frame: " + ex.Message.Split('\n')[0];
            }

            if (found is not null)
            {
                markers.Add($"{frame.Url}: {found}");
            }
        }

        return markers;
    }

    /// <summary>Fails if anything ran, navigated away, or went to (or even tried) a host other than the portal.</summary>
    public async Task AssertCleanAsync(IPage page, CanaryServer? canary, string label)
    {
        var problems = new StringBuilder();
        foreach (var marker in await ScriptMarkersAsync(page))
        {
            problems.AppendLine("script ran: " + marker);
        }

        foreach (var incident in _incidents)
        {
            problems.AppendLine(incident);
        }

        foreach (var response in _foreignResponses)
        {
            problems.AppendLine("a foreign host answered: " + response);
        }

        // Even an attempt the browser then blocked (e.g. by the frame's CSP) counts: the sanitiser let a
        // remote reference through, and only the second line of defence held. The note says which.
        foreach (var entry in _foreignRequests)
        {
            var (request, url) = (entry[..entry.LastIndexOf('|')], entry[(entry.LastIndexOf('|') + 1)..]);
            var outcome = _failures.TryGetValue(url, out var failure) ? $" — attempted, then blocked by the browser ({failure})" : string.Empty;
            problems.AppendLine("request for a foreign host: " + request + outcome);
        }

        if (canary is not null)
        {
            foreach (var hit in canary.Hits)
            {
                problems.AppendLine("the canary server was reached: " + hit);
            }
        }

        if (problems.Length > 0)
        {
            Assert.Fail($"{label}:\n{problems}");
        }
    }

    private bool IsPortalOrLocal(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.Scheme switch
        {
            // Schemes that reach a host: only the portal's own origin is allowed.
            "http" or "https" or "ws" or "wss" or "ftp" => uri.Scheme == _portal.Scheme && uri.Host == _portal.Host && uri.Port == _portal.Port,

            // data:, blob:, about:, cid:, chrome-error: ... never leave the browser.
            _ => true,
        };
    }

    private static string SafeFrameUrl(IRequest request)
    {
        try
        {
            return request.Frame.Url;
        }
        catch (PlaywrightException)
        {
            return "(none)";
        }
    }
}
