using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace OmePortal.Web.Admin;

/// <summary>The admin's start page: a few counts for the tenant acted for and the way to each section.</summary>
public sealed class AdminHomeModel(AdminScope scope, TimeProvider time) : PageModel
{
    public int RecentMessages { get; private set; }

    public int Templates { get; private set; }

    public int Admins { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var tenant = scope.Data;
        var since = time.GetUtcNow().AddDays(-30);
        RecentMessages = await tenant.Messages.CountAsync(m => m.ReceivedAt >= since, cancellationToken);
        Templates = await tenant.BrandTemplates.CountAsync(cancellationToken);
        Admins = await tenant.Admins.CountAsync(cancellationToken);
    }
}
