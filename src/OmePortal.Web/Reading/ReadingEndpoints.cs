using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Access;

namespace OmePortal.Web.Reading;

/// <summary>
/// The body frame (<c>/messages/{id}/body</c>) and inline images (<c>/messages/{id}/inline/{index}</c>).
/// Both ask <see cref="RecipientAccess"/> and answer anything but Granted with a redirect to sign-in
/// (nobody signed in), 403 (a recipient signed in a way the brand turned off: the message page says
/// which ways it allows) or 404 (everything else), so a stranger learns nothing.
/// </summary>
internal static class ReadingEndpoints
{
    public static IEndpointRouteBuilder MapReadingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/messages/{id:guid}/body", BodyAsync);
        app.MapGet("/messages/{id:guid}/inline/{index:int}", InlineAsync);
        return app;
    }

    /// <summary>Where a reader who is not signed in is sent: sign in, then the message page.</summary>
    public static string SignInUrl(string returnUrl) => "/signin?returnUrl=" + Uri.EscapeDataString(returnUrl);

    public static string MessageUrl(Guid id) => $"/messages/{id}";

    private static async Task<IResult> BodyAsync(
        Guid id,
        string? images,
        HttpContext http,
        RecipientAccess access,
        MessageReader reader,
        InlineImageTickets tickets,
        ImageProxyUrls imageProxy,
        CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(http.Response);
        var result = await access.DecideAsync(id, http.User, cancellationToken);
        switch (result.Decision)
        {
            case AccessDecision.Granted granted:
                using (var body = await reader.OpenBodyAsync(result, cancellationToken))
                {
                    if (body is null)
                    {
                        return Results.NotFound();
                    }

                    await WriteBodyAsync(http, id, body, images == "1", granted.Protection, tickets, imageProxy, cancellationToken);
                }

                return Results.Empty;
            case AccessDecision.NeedsSignIn:
                return Results.Redirect(SignInUrl(MessageUrl(id)));
            case AccessDecision.NeedsOtherSignIn:
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            default:
                return Results.NotFound();
        }
    }

    private static async Task WriteBodyAsync(
        HttpContext http, Guid id, OpenedBody body, bool showImages, ProtectionLevel protection, InlineImageTickets tickets, ImageProxyUrls imageProxy, CancellationToken cancellationToken)
    {
        var session = SessionOf(http.User);
        var ticket = session is { } forTicket ? tickets.Issue(id, forTicket) : null;

        // Remote images only through the portal's proxy, signed for this message and session (ImageProxyUrls).
        Func<Uri, string?>? remoteImageUrl = showImages && session is { } forProxy ? url => imageProxy.For(id, forProxy, url) : null;
        var document = BodyDocument.Compose(
            body.Message.Model,
            index => $"/messages/{id}/inline/{index.ToString(CultureInfo.InvariantCulture)}" + (ticket is null ? string.Empty : "?t=" + ticket),
            remoteImageUrl,
            CultureInfo.CurrentUICulture.TwoLetterISOLanguageName,
            protection,
            htmlUtf8: body.Html?.Memory);
        ReadingHeaders.BodyFrame(http.Response);
        await document.WriteAsync(http.Response, cancellationToken);
    }

    private static async Task<IResult> InlineAsync(
        Guid id,
        int index,
        string? t,
        HttpContext http,
        RecipientAccess access,
        MessageReader reader,
        InlineImageTickets tickets,
        OmePortalDbContext db,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(http.Response);

        // The sandboxed frame's image requests carry no cookie, only the ticket of the frame (see InlineImageTickets).
        var user = http.User;
        if (tickets.Validate(t, id) is { } ticketSession && await LiveSessionPrincipalAsync(db, time, ticketSession, cancellationToken) is { } ticketUser)
        {
            user = ticketUser;
        }

        var result = await access.DecideAsync(id, user, cancellationToken);
        switch (result.Decision)
        {
            case AccessDecision.Granted granted:
                var opened = await reader.OpenSummaryAsync(result, cancellationToken);
                var entry = opened?.Model.Attachments.FirstOrDefault(a => a.Index == index);
                if (opened is null || entry is null || !BodyDocument.IsInlineImage(entry, granted.Protection) || entry.ContentOffset < 0)
                {
                    return Results.NotFound();
                }

                var content = await reader.OpenContentAsync(opened, cancellationToken);
                if (content is null)
                {
                    return Results.NotFound();
                }

                http.Response.RegisterForDispose(content);
                ReadingHeaders.RawContent(http.Response);
                http.Response.ContentLength = entry.Size;
                return Results.Stream(AttachmentContent.OpenDecoded(content, entry), entry.ContentType);
            case AccessDecision.NeedsSignIn:
                return Results.Redirect(SignInUrl(MessageUrl(id)));
            case AccessDecision.NeedsOtherSignIn:
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            default:
                return Results.NotFound();
        }
    }

    private static Guid? SessionOf(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(RecipientAuthenticationHandler.SessionClaim)?.Value, out var session) ? session : null;

    /// <summary>The recipient of a live (not ended, not idle, not past its absolute limit) session, as the access decision expects it.</summary>
    internal static async Task<ClaimsPrincipal?> LiveSessionPrincipalAsync(OmePortalDbContext db, TimeProvider time, Guid sessionId, CancellationToken cancellationToken)
    {
        var session = await db.RecipientSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        var now = time.GetUtcNow();
        if (session is null || session.EndedAt is not null || session.ExpiresAt <= now || session.LastSeenAt + RecipientSessions.IdleTimeout <= now)
        {
            return null;
        }

        // The method too: the ticket stands for the session, and the brand's sign-in choices bind it here as on the page.
        var identity = new ClaimsIdentity(
            [
                new Claim(RecipientAuthenticationHandler.AddressClaim, session.Address),
                new Claim(RecipientAuthenticationHandler.MethodClaim, session.Method),
                new Claim(RecipientAuthenticationHandler.SessionClaim, session.Id.ToString()),
            ],
            RecipientAuthenticationHandler.SchemeName);
        return new ClaimsPrincipal(identity);
    }
}
