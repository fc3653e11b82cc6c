using OmePortal.Core.Branding;
using OmePortal.Testing;
using OmePortal.Web.Admin.Branding;

namespace OmePortal.Web.Tests.Admin.Branding;

/// <summary>The preview draft store is bounded per tenant: a tenant that fills it pushes out only its own oldest drafts.</summary>
public sealed class BrandPreviewDraftsTests
{
    // Sized by its logo: one shared array, so the test claims far more than it allocates.
    private const int LogoBytes = 1024 * 1024;
    private static readonly BrandTemplate LargeDraft = new() { Name = "Large", Logo = new BrandLogo(new byte[LogoBytes], BrandLogo.Png) };

    [Fact]
    public void OneTenantFillingTheStore_EvictsOnlyItsOwnOldestDrafts()
    {
        var drafts = new BrandPreviewDrafts(new ManualTimeProvider());
        var quiet = Guid.NewGuid();
        var busy = Guid.NewGuid();
        var quietDraft = drafts.Store(quiet, new BrandTemplate { Name = "Quiet" });

        // 100 MB of drafts: past the tenant's bound, and past the 64 MB the store once shared by all tenants.
        var busyDrafts = Enumerable.Range(0, 100).Select(_ => drafts.Store(busy, LargeDraft)).ToList();

        Assert.Equal("Quiet", drafts.Find(quiet, quietDraft)?.Name);
        var fits = (int)(BrandPreviewDrafts.TenantCapacity / (LogoBytes + 4096));
        var kept = busyDrafts.Select(id => drafts.Find(busy, id) is not null).ToList();
        Assert.Equal(fits, kept.Count(k => k));
        Assert.All(kept[^fits..], Assert.True);
    }

    [Fact]
    public void FullTenant_ReadDraftOutlivesNewerUnreadOnes()
    {
        var drafts = new BrandPreviewDrafts(new ManualTimeProvider());
        var tenant = Guid.NewGuid();
        var first = drafts.Store(tenant, LargeDraft);
        var second = drafts.Store(tenant, LargeDraft);

        // The preview frame reads the first: it is then the most recently used, and the second goes first.
        Assert.NotNull(drafts.Find(tenant, first));
        var fits = (int)(BrandPreviewDrafts.TenantCapacity / (LogoBytes + 4096));
        for (var i = 0; i < fits - 1; i++)
        {
            drafts.Store(tenant, LargeDraft);
        }

        Assert.NotNull(drafts.Find(tenant, first));
        Assert.Null(drafts.Find(tenant, second));
    }

    [Fact]
    public void Draft_LivesTwentyMinutesAfterItsLastUse()
    {
        var clock = new ManualTimeProvider();
        var drafts = new BrandPreviewDrafts(clock);
        var tenant = Guid.NewGuid();
        var id = drafts.Store(tenant, new BrandTemplate { Name = "Draft" });

        clock.Advance(BrandPreviewDrafts.Lifetime - TimeSpan.FromMinutes(5));
        Assert.NotNull(drafts.Find(tenant, id));
        clock.Advance(BrandPreviewDrafts.Lifetime - TimeSpan.FromSeconds(1));
        Assert.NotNull(drafts.Find(tenant, id));
        clock.Advance(BrandPreviewDrafts.Lifetime);
        Assert.Null(drafts.Find(tenant, id));
    }

    [Fact]
    public void Draft_IsFoundOnlyByItsOwnTenant()
    {
        var drafts = new BrandPreviewDrafts(new ManualTimeProvider());
        var owner = Guid.NewGuid();
        var id = drafts.Store(owner, new BrandTemplate { Name = "Mine" });

        Assert.Equal("Mine", drafts.Find(owner, id)?.Name);
        Assert.Null(drafts.Find(Guid.NewGuid(), id));
        Assert.Null(drafts.Find(owner, id.ToUpperInvariant()));
        Assert.Null(drafts.Find(owner, null));
    }
}
