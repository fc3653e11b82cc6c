using System.Net;
using System.Text.RegularExpressions;

namespace OmePortal.Testing;

/// <summary>
/// Walks an external sign-in as a browser would, one hop at a time: the sign-in button's POST on a
/// portal page, the redirect to the provider, the provider's <c>form_post</c> answer, and its POST
/// back to the portal's callback. Each hop can be tampered with.
/// </summary>
public static partial class ExternalSignInFlow
{
    /// <summary>
    /// Presses the button of <paramref name="provider"/> on <paramref name="page"/> (with its antiforgery
    /// token and <paramref name="fields"/>), and returns the portal's answer to the provider's callback.
    /// </summary>
    public static async Task<HttpResponseMessage> RunAsync(
        RecipientBrowserlessClient recipient,
        string page,
        string provider,
        IDictionary<string, string>? fields = null,
        Func<string, string>? tamperAuthorizationUrl = null,
        Action<Dictionary<string, string>>? tamperCallback = null)
    {
        var token = await recipient.AntiforgeryTokenAsync(page);
        var form = new Dictionary<string, string>(fields ?? new Dictionary<string, string>()) { ["__RequestVerificationToken"] = token };
        using var started = await recipient.Http.PostAsync($"/signin/external/{provider}", new FormUrlEncodedContent(form));
        if (started.StatusCode != HttpStatusCode.Redirect || started.Headers.Location is not { IsAbsoluteUri: true } authorize)
        {
            return await Copy(started);
        }

        var authorizationUrl = tamperAuthorizationUrl?.Invoke(authorize.AbsoluteUri) ?? authorize.AbsoluteUri;
        using var idp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        using var answer = await idp.GetAsync(authorizationUrl);
        var html = await answer.Content.ReadAsStringAsync();
        var action = FormAction().Match(html);
        if (!answer.IsSuccessStatusCode || !action.Success)
        {
            throw new InvalidOperationException($"The provider answered {(int)answer.StatusCode} without a form_post form: {html[..Math.Min(html.Length, 500)]}");
        }

        var posted = HiddenInput().Matches(html).ToDictionary(
            m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value), StringComparer.Ordinal);
        tamperCallback?.Invoke(posted);
        var callback = new Uri(WebUtility.HtmlDecode(action.Groups["action"].Value));
        return await recipient.Http.PostAsync(callback.PathAndQuery, new FormUrlEncodedContent(posted));
    }

    private static async Task<HttpResponseMessage> Copy(HttpResponseMessage response)
    {
        var copy = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(await response.Content.ReadAsStringAsync()) };
        if (response.Headers.Location is { } location)
        {
            copy.Headers.Location = location;
        }

        return copy;
    }

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
