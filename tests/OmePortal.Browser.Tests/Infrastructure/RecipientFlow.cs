using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>What a recipient does in the browser to get in: link → "send me a passcode" → code page → code.</summary>
public static partial class RecipientFlow
{
    /// <summary>Opens <paramref name="link"/>, asks for a passcode, reads it from the outbox, enters it, and waits for the message page.</summary>
    public static async Task SignInFromLinkAsync(IPage page, PortalHost host, string link, string address)
    {
        var response = await page.GotoAsync(link);
        Assert.Equal(200, response?.Status);
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"), OnTheWay);
        await EnterPasscodeAsync(page, host, address);
        await page.WaitForURLAsync(new Regex("/messages/[0-9a-fA-F-]{36}$"));
    }

    /// <summary>Signs in through /signin with an address (no link), ending on the inbox (or the return URL).</summary>
    public static async Task SignInWithAddressAsync(IPage page, PortalHost host, string address, string? returnUrl = null)
    {
        await page.GotoAsync(host.BaseUrl + "/signin" + (returnUrl is null ? string.Empty : "?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        await page.Locator("input[name='Input.Address']").FillAsync(address);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"), OnTheWay);
        await EnterPasscodeAsync(page, host, address);
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>On the code page: reads the reference code shown, takes the matching passcode mail, submits the code.</summary>
    public static async Task<string> EnterPasscodeAsync(IPage page, PortalHost host, string address)
    {
        var reference = await ReferenceOnPageAsync(page);
        var code = await Outbox.WaitForPasscodeAsync(host, address, reference);
        Assert.Matches("^[0-9]{8}$", code);
        await page.Locator("input[name='Input.Code']").FillAsync(code);
        await page.Locator("main form.passcode-form button[type=submit]").ClickAsync();
        return code;
    }

    /// <summary>
    /// For a page the flow only passes through (the next step fills a field, which waits for it): the document is
    /// parsed, without waiting for every subresource's load event. Two CI runs timed out in exactly that wait
    /// on such a page (30 s after "networkidle" had fired); the page a flow ends on still waits for "load".
    /// </summary>
    public static readonly PageWaitForURLOptions OnTheWay = new() { WaitUntil = WaitUntilState.DOMContentLoaded };

    public static async Task<string> ReferenceOnPageAsync(IPage page)
    {
        var text = await page.Locator(".reference").InnerTextAsync();
        var match = ReferenceCode().Match(text);
        Assert.True(match.Success, $"The code page shows no reference code (its text: '{text}').");
        return match.Value;
    }

    [GeneratedRegex("(?<![A-Z0-9])[A-Z2-9]{6}(?![A-Z0-9])")]
    private static partial Regex ReferenceCode();
}
