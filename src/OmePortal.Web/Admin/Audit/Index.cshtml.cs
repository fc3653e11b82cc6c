using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Admin.Trace;

namespace OmePortal.Web.Admin.Audit;

/// <summary>
/// /admin/audit: the tenant's audit log, filtered and paged, and the same selection as a CSV download
/// (handler "export": a page handler, so the admin folder's policy covers it like the page).
/// </summary>
public sealed class IndexModel(AuditQueries audit, AdminScope scope, TimeProvider time, IStringLocalizer<TraceResource> text) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public AuditEventKind? Kind { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true, Name = "message")]
    public string? MessageId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public AuditPage? Results { get; private set; }

    public Dictionary<string, string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (ParseFilter() is not { } filter)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Results = await audit.SearchAsync(scope.TenantId, filter, PageNumber, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnGetExportAsync(CancellationToken cancellationToken)
    {
        if (ParseFilter() is not { } filter)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var name = $"audit-{scope.TenantSlug}-{time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv";
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileNameStar = name, FileName = name }.ToString();
        Response.Headers.XContentTypeOptions = "nosniff";
        await using (var writer = new StreamWriter(Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true))
        {
            await audit.WriteCsvAsync(scope.TenantId, filter, writer, cancellationToken);
        }

        return new EmptyResult();
    }

    public string? PageUrl(int page) => Url.Page("/Admin/Audit/Index", Values(page, handler: null));

    public string? ExportUrl => Url.Page("/Admin/Audit/Index", "export", Values(page: null, handler: "export"));

    private object Values(int? page, string? handler) => new
    {
        kind = Kind?.ToString(),
        actor = Blank(Actor),
        message = Blank(MessageId),
        from = Blank(From),
        to = Blank(To),
        p = page,
    };

    private AuditFilter? ParseFilter()
    {
        if (!TraceFormat.TryParseDate(From, out var from))
        {
            Errors[nameof(From)] = text["InvalidDate"];
        }

        if (!TraceFormat.TryParseDate(To, out var to))
        {
            Errors[nameof(To)] = text["InvalidDate"];
        }

        Guid? messageId = null;
        if (!string.IsNullOrWhiteSpace(MessageId))
        {
            if (Guid.TryParse(MessageId.Trim(), out var parsed))
            {
                messageId = parsed;
            }
            else
            {
                Errors[nameof(MessageId)] = text["InvalidMessageId"];
            }
        }

        if (Kind is { } kind && !Enum.IsDefined(kind))
        {
            Kind = null;
        }

        return Errors.Count > 0 ? null : new AuditFilter(Kind, Actor, messageId, from, to);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
