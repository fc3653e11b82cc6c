using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// A template is in use while one of the tenant's mail-flow rules names it in its action. The action is
/// JSON; looking for the id's text in it (rather than parsing) also catches a rule whose JSON no longer
/// validates, which must not lose its template silently either.
/// </summary>
public sealed class RuleTemplateReferences(OmePortalDbContext db) : IBrandTemplateReferences
{
    public async Task<bool> IsReferencedAsync(Guid tenantId, Guid templateId, CancellationToken cancellationToken)
    {
        var actions = await db.ForTenant(tenantId).Rules.AsNoTracking()
            .Select(r => r.ActionJson)
            .ToListAsync(cancellationToken);
        var id = templateId.ToString("D");
        return actions.Any(a => a.Contains(id, StringComparison.OrdinalIgnoreCase));
    }
}
