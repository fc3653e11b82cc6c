using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>The admin's start page: a few counts for the tenant acted for and the way to each section.</summary>
public sealed class AdminHomeModel(AdminScope scope, OmePortalDbContext db, TimeProvider time) : PageModel
{
    public int RecentMessages { get; private set; }

    public int Templates { get; private set; }

    public int Admins { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var tenantId = scope.TenantId;
        var since = time.GetUtcNow().AddDays(-30);
        RecentMessages = await db.Messages.CountAsync(m => m.TenantId == tenantId && m.ReceivedAt >= since, cancellationToken);
        Templates = await db.BrandTemplates.CountAsync(b => b.TenantId == tenantId, cancellationToken);
        Admins = await db.Users.CountAsync(u => u.TenantId == tenantId, cancellationToken);
    }
}
