using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace OmePortal.Web.Home;

/// <summary>
/// The landing page (<c>/</c>) and what a browser sees when something is refused: a page in the reader's
/// language instead of an empty or plain-text answer, with the original status code kept.
/// </summary>
public static class HomeExtensions
{
    /// <summary>Every rate limit answers 429 with <c>Retry-After</c> (whole seconds), so people and programs know when to come back.</summary>
    public static WebApplicationBuilder AddHome(this WebApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter =
                        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
        });
        return builder;
    }

    /// <summary>
    /// An error answer without a body is re-executed as <c>/error/{status}</c>, which shows a browser's navigation
    /// a page and leaves programs the bare status (see <see cref="ErrorModel"/>). Registered on the application
    /// itself: only there does re-execution route the new path again.
    /// </summary>
    public static IApplicationBuilder UseErrorPages(this IApplicationBuilder app) =>
        app.UseStatusCodePagesWithReExecute("/error/{0}");

    /// <summary>A browser's navigation asks for HTML; the REST API, the passkey script and image requests do not.</summary>
    internal static bool AsksForHtml(HttpContext context, string originalPath) =>
        context.Request.Headers.Accept.Any(value => value is not null && value.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        && !originalPath.StartsWith("/api/", StringComparison.OrdinalIgnoreCase);
}
