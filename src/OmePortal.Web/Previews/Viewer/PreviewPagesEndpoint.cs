using System.Globalization;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Previews.Viewer;

/// <summary>
/// The page images of an attachment preview (<c>/messages/{id}/attachments/{index}/preview/pages/{page}</c>),
/// behind the same access decision as the message, answered like the body frame: sign-in redirect for
/// nobody, 403 for a sign-in method the brand turned off, 404 for everything else (a stranger learns
/// nothing). Never cached anywhere; Do-Not-Forward pages are watermarked for the reader at serve time.
/// </summary>
internal static class PreviewPagesEndpoint
{
    public static string PreviewUrl(Guid id, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"/messages/{id}/attachments/{index}/preview");

    public static string PageUrl(Guid id, int index, int page) =>
        string.Create(CultureInfo.InvariantCulture, $"/messages/{id}/attachments/{index}/preview/pages/{page}");

    public static IEndpointRouteBuilder MapPreviewPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/messages/{id:guid}/attachments/{index:int}/preview/pages/{page:int}", PageAsync);
        return app;
    }

    private static async Task<IResult> PageAsync(
        Guid id,
        int index,
        int page,
        HttpContext http,
        RecipientAccess access,
        AttachmentPreviews previews,
        PageWatermark watermark,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ReadingHeaders.RawContent(http.Response);
        var result = await access.DecideAsync(id, http.User, cancellationToken);
        switch (result.Decision)
        {
            case AccessDecision.Granted granted:
                if (index < 0 || page < 1)
                {
                    return Results.NotFound();
                }

                var stored = await previews.OpenPageAsync(result.GrantedMessage, index, page, cancellationToken);
                if (stored is null)
                {
                    return Results.NotFound();
                }

                if (granted.Protection != ProtectionLevel.DoNotForward)
                {
                    return Results.Stream(stored, "image/png");
                }

                await using (stored)
                {
                    var marked = watermark.Apply(stored, granted.Address, time.GetUtcNow());
                    return marked is null ? Results.NotFound() : Results.Bytes(marked, "image/png");
                }

            case AccessDecision.NeedsSignIn:
                return Results.Redirect(ReadingEndpoints.SignInUrl(PreviewUrl(id, index)));
            case AccessDecision.NeedsOtherSignIn:
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            default:
                return Results.NotFound();
        }
    }
}
