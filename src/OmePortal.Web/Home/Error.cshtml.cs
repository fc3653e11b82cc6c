using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.Home;

/// <summary>
/// The page a browser gets instead of an empty error answer (see <see cref="HomeExtensions.UseErrorPages"/>): the
/// original status code stays, and a rate-limited visitor reads how long to wait (the <c>Retry-After</c> of the
/// answer). Programs get the status with no body. Only reached by re-execution; a direct visit answers 404.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public int? RetryAfterSeconds { get; private set; }

    public IActionResult OnGet(int status) => Show(status);

    public IActionResult OnPost(int status) => Show(status);

    private IActionResult Show(int status)
    {
        if (HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not { } reExecuted)
        {
            return NotFound();
        }

        if (!HomeExtensions.AsksForHtml(HttpContext, reExecuted.OriginalPath))
        {
            return new EmptyResult();
        }

        Status = status;
        if (int.TryParse(Response.Headers.RetryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            RetryAfterSeconds = seconds;
        }

        return Page();
    }
}
