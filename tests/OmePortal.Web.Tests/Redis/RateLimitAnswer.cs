using System.Net;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Redis;

/// <summary>The refusal every rate limit gives, with or without Redis: 429, whole seconds in Retry-After, the localized page.</summary>
internal static class RateLimitAnswer
{
    public static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = response.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("No Retry-After in seconds.");
        Assert.InRange(retryAfter.TotalSeconds, 1, 60);
        Assert.Equal("Too many attempts", (await HtmlPage.FromAsync(response)).Heading);
    }
}
