using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Trace;

/// <summary>/admin/trace: the tenant's messages by sender, recipient, date and status, newest first.</summary>
public sealed class IndexModel(MessageTrace trace, AdminScope scope, IStringLocalizer<TraceResource> text) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Sender { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Recipient { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true)]
    public TraceStatus Status { get; set; }

    /// <summary>The page number ("page" is a route value of Razor Pages, hence "p").</summary>
    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public TracePage? Results { get; private set; }

    public Dictionary<string, string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!TraceFormat.TryParseDate(From, out var from))
        {
            Errors[nameof(From)] = text["InvalidDate"];
        }

        if (!TraceFormat.TryParseDate(To, out var to))
        {
            Errors[nameof(To)] = text["InvalidDate"];
        }

        if (!Enum.IsDefined(Status))
        {
            Status = TraceStatus.Any;
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Results = await trace.SearchAsync(scope.TenantId, new TraceSearch(Sender, Recipient, from, to, Status), PageNumber, cancellationToken);
        return Page();
    }

    public string? PageUrl(int page) => Url.Page("/Admin/Trace/Index", new
    {
        sender = Blank(Sender),
        recipient = Blank(Recipient),
        from = Blank(From),
        to = Blank(To),
        status = Status == TraceStatus.Any ? null : Status.ToString(),
        p = page,
    });

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
