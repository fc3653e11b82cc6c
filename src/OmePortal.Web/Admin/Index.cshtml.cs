using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace OmePortal.Web.Admin;

/// <summary>The admin's start page: the setup checklist, a few counts for the tenant acted for and the way to each section.</summary>
public sealed class AdminHomeModel(AdminScope scope, SetupChecklist checklist, TimeProvider time) : PageModel
{
    public int RecentMessages { get; private set; }

    public int Templates { get; private set; }

    public int Admins { get; private set; }

    public IReadOnlyList<SetupCheck> Checks { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var tenant = scope.Data;
        var since = time.GetUtcNow().AddDays(-30);
        RecentMessages = await tenant.Messages.CountAsync(m => m.ReceivedAt >= since, cancellationToken);
        Templates = await tenant.BrandTemplates.CountAsync(cancellationToken);
        Admins = await tenant.Admins.CountAsync(cancellationToken);
        Checks = await checklist.CheckAsync(scope, cancellationToken);
    }

    /// <summary>Checklist arguments as the page shows them: moments in UTC in the reader's culture, like the trace.</summary>
    public static object Format(object argument) => argument is DateTimeOffset at ? Trace.TraceFormat.Utc(at) : argument;
}
