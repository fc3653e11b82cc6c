using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing.Pages;
using OmePortal.Web.Admin;
using OmePortal.Web.Tenancy;
using OtpNet;

namespace OmePortal.Testing;

/// <summary>An admin account made for a test: what it takes to sign in as it.</summary>
public sealed record AdminAccount(Guid Id, string Email, string Password, string TotpSecret, Guid? TenantId);

/// <summary>
/// An admin without a browser: signs in over real HTTP with password + TOTP (the code computed from the
/// shared secret with Otp.NET), keeps the cookies by hand (they are Secure and tests run on
/// http://localhost) and fetches antiforgery tokens for forms.
/// <para>Usage:</para>
/// <code>
/// await using var host = await new PortalHost(StorageKind.Sqlite).StartAsync();
/// using var admin = await AdminClient.SignInTenantAdminAsync(host);            // admin of the first-run tenant "default"
/// var html = await admin.Http.GetStringAsync("/admin/branding");
/// using var saved = await admin.PostFormAsync("/admin/branding/edit?id=...", new Dictionary&lt;string, string&gt; { ["Input.Name"] = "x" });
///
/// var other = await AdminClient.CreateTenantAsync(host, "other");              // a second tenant (key + default brand)
/// using var otherAdmin = await AdminClient.SignInTenantAdminAsync(host, "other");
/// using var system = await AdminClient.SignInSystemAdminAsync(host);           // reaches /admin/system too
/// </code>
/// Accounts are seeded through the host's UserManager (password and authenticator key set there, the
/// same calls enrolment makes); the sign-in itself is the real two-step HTTP flow. Each account gets a
/// unique address, so tests can make as many as they like. The sign-in pages are rate limited per
/// client (default 30 requests a minute: about 7 sign-ins); raise
/// <c>OmePortal:Admin:SignInRequestsPerMinutePerClient</c> in the host settings if a test needs more.
/// </summary>
public sealed class AdminClient : BrowserlessSession
{
    public const string DefaultPassword = "correct horse battery staple";

    private AdminClient(string baseUrl)
        : base(baseUrl)
    {
    }

    /// <summary>The account signed in (null for <see cref="Anonymous"/>).</summary>
    public AdminAccount? Account { get; private set; }

    public static AdminClient Anonymous(PortalHost host) => new(host.BaseUrl);

    /// <summary>Signs in with password and the current TOTP code of <paramref name="totpSecret"/> (base32); throws unless it lands on the admin.</summary>
    public static async Task<AdminClient> SignInAsync(PortalHost host, string email, string password, string totpSecret)
    {
        var client = new AdminClient(host.BaseUrl);
        await client.SignInAsync(email, password, totpSecret);
        return client;
    }

    /// <summary>Seeds a tenant admin of <paramref name="tenantSlug"/> and signs it in.</summary>
    public static async Task<AdminClient> SignInTenantAdminAsync(PortalHost host, string tenantSlug = "default")
    {
        var account = await CreateTenantAdminAsync(host, tenantSlug);
        var client = await SignInAsync(host, account.Email, account.Password, account.TotpSecret);
        client.Account = account;
        return client;
    }

    /// <summary>Seeds a system admin and signs it in (acting for the oldest tenant until it chooses another).</summary>
    public static async Task<AdminClient> SignInSystemAdminAsync(PortalHost host)
    {
        var account = await CreateAdminAsync(host, null, enrolled: true);
        var client = await SignInAsync(host, account.Email, account.Password, account.TotpSecret);
        client.Account = account;
        return client;
    }

    /// <summary>Seeds an admin of <paramref name="tenantSlug"/> with password and an enrolled authenticator.</summary>
    public static async Task<AdminAccount> CreateTenantAdminAsync(PortalHost host, string tenantSlug = "default")
    {
        Guid tenantId;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            tenantId = await db.Tenants.Where(t => t.Slug == tenantSlug).Select(t => t.Id).SingleAsync();
        }

        return await CreateAdminAsync(host, tenantId, enrolled: true);
    }

    /// <summary>
    /// Seeds an admin (<paramref name="tenantId"/> null: a system admin). Not <paramref name="enrolled"/>:
    /// password only, as after bootstrap or an invitation; <see cref="AdminAccount.TotpSecret"/> is then empty.
    /// </summary>
    public static async Task<AdminAccount> CreateAdminAsync(PortalHost host, Guid? tenantId, bool enrolled = true, string? email = null)
    {
        email ??= $"admin-{Guid.NewGuid():N}@example.test";
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AdminAccounts>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AdminUser>>();
        var created = await accounts.CreateAsync(tenantId, email, DefaultPassword);
        if (!created.Succeeded)
        {
            throw new InvalidOperationException(string.Join(" ", created.Errors.Select(e => e.Description)));
        }

        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException("The admin was not stored.");
        var secret = string.Empty;
        if (enrolled)
        {
            await users.ResetAuthenticatorKeyAsync(user);
            secret = await users.GetAuthenticatorKeyAsync(user) ?? throw new InvalidOperationException("No authenticator key.");
            await users.SetTwoFactorEnabledAsync(user, true);
        }

        return new AdminAccount(user.Id, email, DefaultPassword, secret, tenantId);
    }

    /// <summary>Adds a tenant the way the system admin does (tenant key and default brand template included).</summary>
    public static async Task<Guid> CreateTenantAsync(PortalHost host, string slug, string? name = null)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantProvisioner>().Add(db, slug, name ?? $"Tenant {slug}");
        await db.SaveChangesAsync();
        return tenant.Id;
    }

    /// <summary>The TOTP code of <paramref name="base32Secret"/> now (or at <paramref name="at"/>): SHA-1, 6 digits, 30 s, like the apps.</summary>
    public static string TotpCode(string base32Secret, DateTime? at = null) =>
        new Totp(Base32Encoding.ToBytes(base32Secret.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant()))
            .ComputeTotp(at ?? DateTime.UtcNow);

    /// <summary>
    /// A code the portal has not accepted yet for <paramref name="base32Secret"/>: the portal takes each
    /// time step once, so a second sign-in within 30 s uses the next step (allowed for clock drift), and
    /// a third waits for the clock. Only for codes this process sends to be accepted.
    /// </summary>
    public static async Task<string> NextTotpCodeAsync(string base32Secret)
    {
        var key = base32Secret.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        while (true)
        {
            var now = DateTime.UtcNow;
            var current = new DateTimeOffset(now).ToUnixTimeSeconds() / 30;
            lock (UsedTimeSteps)
            {
                var step = Math.Max(current, UsedTimeSteps.GetValueOrDefault(key) + 1);
                if (step <= current + 1)
                {
                    UsedTimeSteps[key] = step;
                    return TotpCode(key, DateTimeOffset.FromUnixTimeSeconds(step * 30).UtcDateTime);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(30 - (new DateTimeOffset(now).ToUnixTimeSeconds() % 30) + 0.2));
        }
    }

    private static readonly Dictionary<string, long> UsedTimeSteps = new(StringComparer.Ordinal);

    /// <summary>The password step; returns its response (302 to the code page, the enrolment page, or 200 with an error).</summary>
    public Task<HttpResponseMessage> PostPasswordAsync(string email, string password) =>
        PostFormAsync("/admin/account/signin", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    /// <summary>The authenticator step; returns its response (302 to the admin on success).</summary>
    public Task<HttpResponseMessage> PostTotpAsync(string code) =>
        PostFormAsync("/admin/account/twofactor", new Dictionary<string, string> { ["Input.Code"] = code });

    public async Task SignInAsync(string email, string password, string totpSecret)
    {
        using (var first = await PostPasswordAsync(email, password))
        {
            if (first.StatusCode != HttpStatusCode.Redirect || first.Headers.Location?.OriginalString.StartsWith("/admin/account/twofactor", StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException($"The password step answered {(int)first.StatusCode} {first.Headers.Location}.");
            }
        }

        using var second = await PostTotpAsync(await NextTotpCodeAsync(totpSecret));
        if (second.StatusCode != HttpStatusCode.Redirect || second.Headers.Location?.OriginalString != "/admin")
        {
            throw new InvalidOperationException($"The authenticator step answered {(int)second.StatusCode} {second.Headers.Location}.");
        }
    }

    /// <summary>
    /// For an admin signed in with the password only: reads the key from the enrolment page, enters its
    /// code, and returns the secret and the recovery codes shown.
    /// </summary>
    public async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrolAsync()
    {
        var enrolment = await GetPageAsync("/admin/account/enrol");
        var key = enrolment.TestId("authenticator-key")?.TextContent
            ?? throw new InvalidOperationException("The enrolment page shows no key.");

        var secret = key.Replace(" ", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();
        using var enrolled = await PostFormAsync("/admin/account/enrol", new Dictionary<string, string> { ["Input.Code"] = await NextTotpCodeAsync(secret) });
        var page = await HtmlPage.FromAsync(enrolled);
        var codes = page.TestId("recovery-codes")?.QuerySelectorAll("li").Select(li => li.TextContent.Trim()).ToList() ?? [];
        if (codes.Count == 0)
        {
            throw new InvalidOperationException($"Enrolment answered {(int)enrolled.StatusCode} without recovery codes.");
        }

        return (secret, codes);
    }
}
