using Microsoft.Extensions.Options;
using OmePortal.Core.Branding;
using OmePortal.Core.Intake;
using OmePortal.Data;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tenancy;

/// <summary>
/// What a new tenant is made of: the tenant row, its first tenant key and its default brand template
/// (from the configured brand directory, by default the built-in <c>branding/default</c>). Used by the
/// first run and by the system admin; the caller saves.
/// </summary>
public sealed class TenantProvisioner(
    IOptions<BootstrapOptions> bootstrap,
    IOptions<IntakeOptions> intake,
    TenantKeyRing keyRing,
    TimeProvider time)
{
    public Tenant Add(OmePortalDbContext db, string slug, string name)
    {
        var brandDirectory = bootstrap.Value.BrandDirectory ?? Path.Combine(AppContext.BaseDirectory, "branding", "default");
        var brand = BrandLoader.LoadDirectory(brandDirectory);
        var now = time.GetUtcNow();
        var tenant = new Tenant
        {
            Id = Guid.CreateVersion7(now),
            Slug = slug,
            Name = name,
            MaxMessageBytes = intake.Value.DefaultMaxMessageBytes,
            DefaultProtection = ProtectionLevel.EncryptOnly,
            CreatedAt = now,
        };
        db.Tenants.Add(tenant);
        db.TenantKeys.Add(keyRing.CreateInitial(tenant.Id));
        db.BrandTemplates.Add(new BrandTemplateRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenant.Id,
            Name = brand.Name,
            IsDefault = true,
            Json = BrandSerializer.ToJson(brand),
            Logo = brand.Logo?.Content,
            LogoContentType = brand.Logo?.ContentType,
            UpdatedAt = now,
        });
        return tenant;
    }
}
