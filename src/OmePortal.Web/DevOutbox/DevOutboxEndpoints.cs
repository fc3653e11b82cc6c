using MimeKit;
using OmePortal.Web.DevOutbox;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Development-only helpers behind the outbox pages: the HTML part of a mail (for a sandboxed
/// iframe, with its cid: images), attachments and the raw .eml. Mapped only in Development.
/// </summary>
public static class DevOutboxEndpoints
{
    public static IEndpointRouteBuilder MapDevOutbox(this IEndpointRouteBuilder app)
    {
        var outbox = app.MapGroup("/dev/outbox");
        outbox.MapGet("/{name}/html", (string name, DevOutboxReader reader, HttpContext http) =>
        {
            var message = reader.Load(name);
            if (message?.HtmlBody is not { } html)
            {
                return Results.NotFound();
            }

            // Our own notification mail, shown in a sandboxed frame: no script, only its own images.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";
            http.Response.Headers.XFrameOptions = "SAMEORIGIN";
            html = html.Replace("src=\"cid:", $"src=\"/dev/outbox/{name}/cid/", StringComparison.OrdinalIgnoreCase);
            return Results.Content(html, "text/html; charset=utf-8");
        });
        outbox.MapGet("/{name}/cid/{contentId}", (string name, string contentId, DevOutboxReader reader) =>
        {
            var part = reader.Load(name)?.BodyParts.OfType<MimePart>().FirstOrDefault(p => p.ContentId == contentId);
            return part is null ? Results.NotFound() : Results.Stream(Decode(part), part.ContentType.MimeType);
        });
        outbox.MapGet("/{name}/attachments/{index:int}", (string name, int index, DevOutboxReader reader) =>
        {
            var part = reader.Load(name)?.Attachments.OfType<MimePart>().ElementAtOrDefault(index);
            return part is null
                ? Results.NotFound()
                : Results.File(Decode(part), "application/octet-stream", part.FileName ?? $"attachment-{index}");
        });
        outbox.MapGet("/{name}/raw", (string name, DevOutboxReader reader) =>
        {
            var message = reader.Load(name);
            if (message is null)
            {
                return Results.NotFound();
            }

            var buffer = new MemoryStream();
            message.WriteTo(buffer);
            buffer.Position = 0;
            return Results.File(buffer, "message/rfc822", name);
        });
        return app;
    }

    /// <summary>
    /// <c>/dev/outbox</c> shows the mail the portal sent (passcodes included): it answers loopback clients
    /// only, judged after the forwarded-headers step, so a client coming through a proxy is refused too.
    /// </summary>
    public static IApplicationBuilder UseDevOutboxLoopbackOnly(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/dev/outbox", StringComparison.OrdinalIgnoreCase)
                && !IsLoopback(context.Connection.RemoteIpAddress))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next();
        });

    private static bool IsLoopback(System.Net.IPAddress? remote) => remote is not null && System.Net.IPAddress.IsLoopback(remote);

    private static MemoryStream Decode(MimePart part)
    {
        var buffer = new MemoryStream();
        part.Content?.DecodeTo(buffer);
        buffer.Position = 0;
        return buffer;
    }
}
