using System.Text;
using Microsoft.Net.Http.Headers;
using OmePortal.Core.Mime;

namespace OmePortal.Web.Reading;

/// <summary>Response headers of the reading pages, frames and downloads (docs/ARCHITECTURE.md §11).</summary>
public static class ReadingHeaders
{

    /// <summary>Message content never lands in a cache (browser, proxy or back/forward cache).</summary>
    public static void NoStore(HttpResponse response)
    {
        // Exactly what antiforgery sets for a page with a form: it then has nothing to override and nothing to warn about.
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers.Pragma = "no-cache";
    }

    /// <summary>
    /// The body frame's own policy: sandboxed, no fetch from anywhere but the portal (also when the reader
    /// asked for remote images: they come through the image proxy, ImageProxyEndpoint), and no script but
    /// the portal's height report (<see cref="BodyDocument.FrameScript"/>), allowed by its hash. A hash and
    /// not a nonce: the script never changes, so nothing is drawn per response, and no markup of the mail
    /// can borrow an allowance that is bound to the script's exact text. Event-handler attributes,
    /// <c>javascript:</c> URLs and any other script of the mail stay refused.
    /// </summary>
    public static readonly string BodyFramePolicy =
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src '" + ScriptHash(BodyDocument.FrameScript) + "'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox";

    /// <summary>
    /// The sandbox tokens of the iframe element: links open in a new tab (outside the sandbox), and the
    /// height report may run. Never <c>allow-same-origin</c>: the frame stays an opaque origin, so even a
    /// script that ran there could not reach the page, its cookies or the portal's endpoints as the reader.
    /// </summary>
    public const string FrameSandbox = "allow-scripts allow-popups allow-popups-to-escape-sandbox";

    /// <summary>The CSP source expression of an inline script: <c>sha256-</c> and the Base64 of its UTF-8 bytes' SHA-256.</summary>
    public static string ScriptHash(string script) =>
        "sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(script)));

    public static void BodyFrame(HttpResponse response)
    {
        NoStore(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = BodyFramePolicy;
        headers.XFrameOptions = "SAMEORIGIN";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>Raw message bytes (inline image, attachment): never rendered as a document of this origin.</summary>
    public static void RawContent(HttpResponse response)
    {
        NoStore(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";

        // No Cross-Origin-Resource-Policy: the sandboxed body frame has an opaque origin, and its
        // image requests would be refused by "same-origin" or "same-site".
    }

    /// <summary>
    /// <c>Content-Disposition: attachment</c> with an RFC 6266 name: an ASCII <c>filename</c> fallback and
    /// the exact name as RFC 8187 <c>filename*</c> (UTF-8, percent-encoded).
    /// </summary>
    public static string AttachmentDisposition(string fileName)
    {
        var disposition = new ContentDispositionHeaderValue("attachment")
        {
            FileName = AsciiFallback(fileName),
            FileNameStar = fileName,
        };
        return disposition.ToString();
    }

    /// <summary>The declared type when it is harmless to hand to a browser (with <c>attachment</c> and nosniff); otherwise application/octet-stream.</summary>
    public static string DownloadContentType(AttachmentEntry entry)
    {
        var type = entry.ContentType;
        if (!MediaTypeHeaderValue.TryParse(type, out var parsed)
            || parsed.Parameters.Count > 0
            || parsed.MediaType.Value is not { } media
            || media.Contains('*', StringComparison.Ordinal)
            || IsActive(parsed.Type.Value ?? string.Empty, parsed.SubType.Value ?? string.Empty))
        {
            return "application/octet-stream";
        }

        return media.ToLowerInvariant();
    }

    /// <summary>Types a browser may run or render as a document (HTML, XML and its dialects, SVG, script, style sheets, containers).</summary>
    private static bool IsActive(string type, string subtype) =>
        type.Equals("multipart", StringComparison.OrdinalIgnoreCase)
        || type.Equals("message", StringComparison.OrdinalIgnoreCase)
        || subtype.Equals("xml", StringComparison.OrdinalIgnoreCase)
        || subtype.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
        || subtype.Contains("html", StringComparison.OrdinalIgnoreCase)
        || subtype.Contains("script", StringComparison.OrdinalIgnoreCase)
        || subtype.Contains("svg", StringComparison.OrdinalIgnoreCase)
        || subtype.Contains("xsl", StringComparison.OrdinalIgnoreCase)
        || subtype.Equals("css", StringComparison.OrdinalIgnoreCase);

    /// <summary>Printable ASCII only (for clients that ignore <c>filename*</c>); anything else becomes '_'.</summary>
    internal static string AsciiFallback(string fileName)
    {
        var builder = new StringBuilder(fileName.Length);
        foreach (var c in fileName)
        {
            builder.Append(c is >= ' ' and < '\u007f' and not ('"' or '\\' or '%' or ';') ? c : '_');
        }

        var result = builder.ToString().Trim();
        return result.Length == 0 ? "attachment" : result;
    }
}
