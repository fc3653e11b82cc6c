using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Tests.Admin.Branding;

internal static class BrandingTestSupport
{
    /// <summary>A second tenant made the way the system admin makes one (with its default template); answers its id.</summary>
    public static async Task<Guid> AddTenantAsync(PortalHost host, string slug)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantProvisioner>().Add(db, slug, slug);
        await db.SaveChangesAsync();
        return tenant.Id;
    }
}
