using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin;

/// <summary>
/// Who the signed-in admin is and which tenant they act for (scoped, filled by the admin middleware for
/// every request under /admin before any page runs). Admin queries read tenant rows through <see cref="Data"/>
/// (or services handed <see cref="TenantId"/>, which go through <see cref="TenantDataExtensions.ForTenant"/>),
/// never with a filter of their own; an id from the URL or a form that belongs to another tenant is answered 404.
/// Reading a property without a signed-in admin throws: a page that forgot its policy fails closed.
/// </summary>
public sealed class AdminScope
{
    private Guid _tenantId;
    private string? _actor;
    private TenantData? _data;

    public bool IsSignedIn { get; private set; }

    /// <summary>The tenant the admin acts for: their own, or for a system admin the one they chose (else the oldest).</summary>
    public Guid TenantId => IsSignedIn ? _tenantId : throw NotSignedIn();

    /// <summary>The rows of <see cref="TenantId"/>: every tenant-owned set, already filtered.</summary>
    public TenantData Data => _data ?? throw NotSignedIn();

    /// <summary>The admin's email address, for the audit log.</summary>
    public string Actor => _actor ?? throw NotSignedIn();

    public Guid UserId { get; private set; }

    public bool IsSystemAdmin { get; private set; }

    /// <summary>Slug and name of <see cref="TenantId"/>, for the layout.</summary>
    public string TenantSlug { get; private set; } = string.Empty;

    public string TenantName { get; private set; } = string.Empty;

    internal async Task InitializeAsync(HttpContext context, OmePortalDbContext db)
    {
        var result = await context.AuthenticateAsync(AdminAuthentication.Scheme);
        var identity = result.Principal?.AdminIdentity();
        if (identity is null || !identity.HasSecondFactor()
            || !Guid.TryParse(identity.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return;
        }

        var own = identity.FindFirst(AdminAuthentication.TenantClaim)?.Value;
        Tenant? tenant;
        if (own is not null)
        {
            var ownId = Guid.Parse(own);
            tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == ownId, context.RequestAborted);
        }
        else
        {
            IsSystemAdmin = true;
            tenant = null;
            if (Guid.TryParse(context.Request.Cookies[AdminAuthentication.ActingTenantCookieName], out var chosen))
            {
                tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == chosen, context.RequestAborted);
            }

            tenant ??= await DefaultTenantAsync(db, context.RequestAborted);
        }

        if (tenant is null)
        {
            return;
        }

        UserId = userId;
        _tenantId = tenant.Id;
        _data = db.ForTenant(tenant.Id);
        TenantSlug = tenant.Slug;
        TenantName = tenant.Name;
        _actor = identity.FindFirst(System.Security.Claims.ClaimTypes.Email)?.Value
            ?? identity.FindFirst(System.Security.Claims.ClaimTypes.Name)?.Value ?? userId.ToString();
        IsSignedIn = true;
    }

    /// <summary>The tenant a system admin acts for until they choose: the oldest (the first-run tenant).</summary>
    public static Task<Tenant?> DefaultTenantAsync(OmePortalDbContext db, CancellationToken cancellationToken) =>
        db.Tenants.AsNoTracking().OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).FirstOrDefaultAsync(cancellationToken);

    private static InvalidOperationException NotSignedIn() =>
        new("No admin is signed in with two factors: the page or endpoint lacks AdminPolicies.TenantAdmin.");
}
