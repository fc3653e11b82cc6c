using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>The admin's way in, as a person takes it: the sign-in page, then the authenticator code (a fresh time step).</summary>
public static class AdminFlow
{
    public static async Task SignInWithTotpAsync(IPage page, PortalHost host, AdminAccount account)
    {
        await page.GotoAsync(host.BaseUrl + "/admin/account/signin");
        await page.Locator("input[name='Input.Email']").FillAsync(account.Email);
        await page.Locator("input[name='Input.Password']").FillAsync(account.Password);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/twofactor"), RecipientFlow.OnTheWay);
        await page.Locator("input[name='Input.Code']").FillAsync(await AdminClient.NextTotpCodeAsync(account.TotpSecret));
        await page.Locator("main form button[type=submit]").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/?$"));
    }

    /// <summary>Seeds a tenant admin of the first-run tenant and signs it in.</summary>
    public static async Task<AdminAccount> SignInNewTenantAdminAsync(IPage page, PortalHost host)
    {
        var account = await AdminClient.CreateTenantAdminAsync(host);
        await SignInWithTotpAsync(page, host, account);
        return account;
    }
}
