using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OmePortal.Core.Branding;
using OmePortal.Testing;
using OmePortal.Web.Admin.Branding;

namespace OmePortal.Web.Tests.Admin.Branding;

/// <summary>
/// The preview draft store is bounded per tenant: a tenant that fills it pushes out only its own oldest drafts.
/// Here over the in-memory cache a node without Redis uses (the shared one: Redis/SharedStateTests).
/// </summary>
public sealed class BrandPreviewDraftsTests
{
    // Sized by its logo: one shared array, so the test claims far more than it allocates.
    private const int LogoBytes = 1024 * 1024;
    private static readonly BrandTemplate LargeDraft = new() { Name = "Large", Logo = new BrandLogo(new byte[LogoBytes], BrandLogo.Png) };

    private static BrandPreviewDrafts Drafts(TimeProvider? time = null) =>
        new(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { SizeLimit = null })), time ?? new ManualTimeProvider());

    [Fact]
    public async Task OneTenantFillingTheStore_EvictsOnlyItsOwnOldestDrafts()
    {
        var drafts = Drafts();
        var quiet = Guid.NewGuid();
        var busy = Guid.NewGuid();
        var quietDraft = await drafts.StoreAsync(quiet, new BrandTemplate { Name = "Quiet" });

        // 100 MB of drafts: past the tenant's bound, and past the 64 MB the store once shared by all tenants.
        var busyDrafts = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            busyDrafts.Add(await drafts.StoreAsync(busy, LargeDraft));
        }

        Assert.Equal("Quiet", (await drafts.FindAsync(quiet, quietDraft))?.Name);
        var fits = (int)(BrandPreviewDrafts.TenantCapacity / (LogoBytes + 4096));
        var kept = new List<bool>();
        foreach (var id in busyDrafts)
        {
            kept.Add(await drafts.FindAsync(busy, id) is not null);
        }

        Assert.Equal(fits, kept.Count(k => k));
        Assert.All(kept[^fits..], Assert.True);
    }

    [Fact]
    public async Task FullTenant_ReadDraftOutlivesNewerUnreadOnes()
    {
        var drafts = Drafts();
        var tenant = Guid.NewGuid();
        var first = await drafts.StoreAsync(tenant, LargeDraft);
        var second = await drafts.StoreAsync(tenant, LargeDraft);

        // The preview frame reads the first: it is then the most recently used, and the second goes first.
        Assert.NotNull(await drafts.FindAsync(tenant, first));
        var fits = (int)(BrandPreviewDrafts.TenantCapacity / (LogoBytes + 4096));
        for (var i = 0; i < fits - 1; i++)
        {
            await drafts.StoreAsync(tenant, LargeDraft);
        }

        Assert.NotNull(await drafts.FindAsync(tenant, first));
        Assert.Null(await drafts.FindAsync(tenant, second));
    }

    [Fact]
    public async Task Draft_LivesTwentyMinutesAfterItsLastUse()
    {
        var clock = new ManualTimeProvider();
        var drafts = Drafts(clock);
        var tenant = Guid.NewGuid();
        var id = await drafts.StoreAsync(tenant, new BrandTemplate { Name = "Draft" });

        clock.Advance(BrandPreviewDrafts.Lifetime - TimeSpan.FromMinutes(5));
        Assert.NotNull(await drafts.FindAsync(tenant, id));
        clock.Advance(BrandPreviewDrafts.Lifetime - TimeSpan.FromSeconds(1));
        Assert.NotNull(await drafts.FindAsync(tenant, id));
        clock.Advance(BrandPreviewDrafts.Lifetime);
        Assert.Null(await drafts.FindAsync(tenant, id));
    }

    [Fact]
    public async Task Draft_IsFoundOnlyByItsOwnTenant()
    {
        var drafts = Drafts();
        var owner = Guid.NewGuid();
        var id = await drafts.StoreAsync(owner, new BrandTemplate { Name = "Mine" });

        Assert.Equal("Mine", (await drafts.FindAsync(owner, id))?.Name);
        Assert.Null(await drafts.FindAsync(Guid.NewGuid(), id));
        Assert.Null(await drafts.FindAsync(owner, id.ToUpperInvariant()));
        Assert.Null(await drafts.FindAsync(owner, null));
    }

    [Fact]
    public async Task Draft_ComesBackAsStored_TextsSwitchesAndLogoBytes()
    {
        // The cache holds bytes (Redis on several nodes), so every field must survive the trip.
        var drafts = Drafts();
        var tenant = Guid.NewGuid();
        var logo = new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 250 };
        var brand = new BrandTemplate
        {
            Name = "Round trip",
            DefaultLanguage = "nl",
            BackgroundColor = "#123456",
            PrivacyStatementUrl = "https://example.org/privacy",
            OtpEnabled = false,
            MicrosoftSignInEnabled = true,
            NotifyInBothLanguages = true,
            SubjectInNotification = true,
            ExpiryDays = 45,
            Texts = new Dictionary<string, BrandTexts>
            {
                ["en"] = new() { IntroductionText = "Hello", PortalText = "Portal" },
                ["nl"] = new() { DisclaimerText = "Vertrouwelijk", ReadButtonText = "Lees" },
            },
            Logo = new BrandLogo(logo, BrandLogo.Png),
        };

        var id = await drafts.StoreAsync(tenant, brand);

        Assert.Equal(brand, await drafts.FindAsync(tenant, id));
    }
}
