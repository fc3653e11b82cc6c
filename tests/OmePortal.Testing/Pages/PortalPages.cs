using System.Globalization;
using System.Text.RegularExpressions;
using AngleSharp.Dom;

namespace OmePortal.Testing.Pages;

/// <summary>The link page <c>/m/{token}</c>: who sent it, whether a passcode can be asked for, and why not.</summary>
public sealed class LinkPage(HtmlPage page) : HtmlPage(page)
{
    /// <summary>The form that asks for a passcode (posts to <c>?handler=Passcode</c>), when the brand allows passcodes.</summary>
    public bool OffersPasscode => FindAll("form").Any(f => f.GetAttribute("action")?.Contains("handler=Passcode", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>The error shown above the sign-in choices (rate limit, locked challenge), or null.</summary>
    public string? Error => Find(".card [role='alert'] p")?.TextContent.Trim();

    /// <summary>The "enter the code you received" link of a pending challenge, or null.</summary>
    public string? PendingChallengeLink => FindAll(".card [role='alert'] a").Select(a => a.GetAttribute("href")).FirstOrDefault(h => h?.StartsWith("/signin/code", StringComparison.Ordinal) == true);

    /// <summary>The "signed in as another address" notice, or null.</summary>
    public string? OtherAddressNotice => Find(".card [role='status'] p")?.TextContent.Trim();

    /// <summary>The brand logo's src (a data: URI), or null.</summary>
    public string? LogoSource => Attribute("img.brand-logo", "src");

    /// <summary>The paragraphs of the card under the heading, trimmed.</summary>
    public IReadOnlyList<string> Paragraphs => Texts(".card > p");
}

/// <summary>The passcode page <c>/signin/code</c>.</summary>
public sealed partial class PasscodePage(HtmlPage page) : HtmlPage(page)
{
    /// <summary>The six-character reference that the passcode mail repeats, or null when the page shows none.</summary>
    public string? ReferenceCode => Text("p.reference") is { } line && ReferenceAtEnd().Match(line) is { Success: true } match ? match.Value : null;

    /// <summary>The challenge the form answers (hidden field), or null.</summary>
    public string? ChallengeId => Attribute("input[name='challenge']", "value");

    /// <summary>The error of a wrong or expired code, or null.</summary>
    public string? Error => Text("#code-error");

    /// <summary>The challenge is spent (too many tries or expired): the page offers only a new code (for the same address, or through /signin when it knows none).</summary>
    public bool IsDead => Find("form input[name='Input.Code']") is null && (Find("form.resend-form") is not null || Find("a.button[href^='/signin']") is not null);

    /// <summary>The "send me a new code" form (posts to <c>?handler=Resend</c>), or null.</summary>
    public string? ResendAction => Attribute("form.resend-form", "action");

    /// <summary>The wait before a new code may be asked for, in seconds, as the page states it for its countdown; null when there is none.</summary>
    public int? ResendWaitSeconds => Attribute("[data-countdown]", "data-countdown") is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;

    /// <summary>The "check your spam folder" help with the passcode mail's sender, or null.</summary>
    public string? NoMailHelp => Text(".no-mail-help");

    /// <summary>The paragraphs of the card, trimmed (the dead page names the address a new code goes to).</summary>
    public IReadOnlyList<string> Paragraphs => Texts(".card p");

    [GeneratedRegex("[A-Z2-9]{6}$")]
    private static partial Regex ReferenceAtEnd();
}

/// <summary>An attachment as the message page lists it.</summary>
public sealed record ListedAttachment(string FileName, string? Href, int? Index);

/// <summary>The message page <c>/messages/{id}</c>.</summary>
public sealed class MessagePage(HtmlPage page) : HtmlPage(page)
{
    public string? Subject => Text("h1.message-subject");

    /// <summary>The sandboxed body frame, or null when the message has no body.</summary>
    public IElement? BodyFrame => Find("iframe.mail-frame");

    public string? BodyUrl => BodyFrame?.GetAttribute("src");

    /// <summary>The attachments listed, with their download link when there is one (none under do-not-forward).</summary>
    public IReadOnlyList<ListedAttachment> Attachments =>
    [
        .. FindAll(".attachment-list .attachment-name").Select(e =>
        {
            var href = e.GetAttribute("href");
            int? index = href is not null && int.TryParse(href[(href.LastIndexOf('/') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
            return new ListedAttachment(e.TextContent, href, index);
        }),
    ];

    /// <summary>The attachment index of the download link named <paramref name="fileName"/> for message <paramref name="id"/>; throws when there is none.</summary>
    public int AttachmentIndex(Guid id, string fileName)
    {
        foreach (var attachment in Attachments)
        {
            if (attachment.FileName == fileName && attachment.Index is { } index && attachment.Href == $"/messages/{id}/attachments/{index}")
            {
                return index;
            }
        }

        throw new InvalidOperationException($"No download link for {fileName} on the page.");
    }

    /// <summary>The hrefs of the stylesheets the page links (decoded).</summary>
    public IReadOnlyList<string> Stylesheets => [.. FindAll("link[rel='stylesheet']").Select(l => l.GetAttribute("href")!)];

    /// <summary>The watermark layer, or null.</summary>
    public IElement? Watermark => Find("div.ome-watermark");

    /// <summary>The thread list items, or empty when the message stands alone.</summary>
    public IReadOnlyList<IElement> ThreadItems => FindAll("ol.thread-list > li");

    /// <summary>The reply/reply-all/forward actions offered.</summary>
    public IReadOnlyList<string> ActionLinks => [.. FindAll("nav.message-actions a").Select(a => a.GetAttribute("href")!)];
}

/// <summary>The body frame document <c>/messages/{id}/body</c>.</summary>
public sealed class BodyFramePage(HtmlPage page) : HtmlPage(page)
{
    /// <summary>Every src and background URL (decoded), in document order.</summary>
    public IReadOnlyList<string> ResourceUrls =>
        [.. Document.All.SelectMany(e => new[] { e.GetAttribute("src"), e.GetAttribute("background") }).OfType<string>()];

    /// <summary>The inline-image URLs (with their tickets) of message <paramref name="id"/>.</summary>
    public IReadOnlyList<string> InlineUrls(Guid id) =>
        [.. ResourceUrls.Where(u => u.StartsWith($"/messages/{id}/inline/", StringComparison.Ordinal))];
}

/// <summary>An entry of the compose page's error summary: the field it points at and the message.</summary>
public sealed record SummaryError(string Field, string Message);

/// <summary>The compose page <c>/messages/{id}/reply?mode=…</c>.</summary>
public sealed class ComposePage(HtmlPage page) : HtmlPage(page)
{
    public IElement? Form => Find("form#compose-form");

    /// <summary>Where the form posts (the send endpoint).</summary>
    public string? Action => Form?.GetAttribute("action");

    /// <summary>The To field's value (the addresses the reply goes to).</summary>
    public string? To => Attribute("form#compose-form input[type='text']", "value");

    public string? Body => Find("form#compose-form textarea")?.TextContent;

    /// <summary>The error summary's entries (empty when the form was accepted or not yet sent).</summary>
    public IReadOnlyList<SummaryError> Errors =>
        [.. FindAll("#error-summary li a").Select(a => new SummaryError(a.GetAttribute("href")!.TrimStart('#'), a.TextContent.Trim()))];
}

/// <summary>The admin sign-in page <c>/admin/account/signin</c>.</summary>
public sealed class AdminSignInPage(HtmlPage page) : HtmlPage(page)
{
    /// <summary>The refusal shown (wrong password, locked, expired), or null.</summary>
    public string? Error => Text("p.alert[role='alert']");

    public string? ReturnUrl => Attribute("input[name='ReturnUrl']", "value");

    public bool HasPasswordForm => Find("form input[name='Input.Email']") is not null && Find("form input[name='Input.Password']") is not null;
}

/// <summary>A preview frame of the branding edit page.</summary>
public sealed record BrandPreview(string Source, string Kind, string Language);

/// <summary>The branding edit page <c>/admin/branding/edit</c>.</summary>
public sealed partial class BrandingEditPage(HtmlPage page) : HtmlPage(page)
{
    public const string FormSelector = "form.brand-form";

    /// <summary>What the form would submit as it is (to post it back with a few changes).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => FormFields(FormSelector);

    /// <summary>The logo draft kept between a failed post and the next (hidden field), or null when empty.</summary>
    public string? PendingLogoDraft => Attribute("input[name='Input.PendingLogoDraft']", "value") is { Length: > 0 } v ? v : null;

    /// <summary>The logo field's error (empty when none).</summary>
    public string? LogoError => FieldError("Logo-error");

    /// <summary>The preview frames: source, kind (mail, link, code or message) and language.</summary>
    public IReadOnlyList<BrandPreview> Previews =>
    [
        .. FindAll("iframe.brand-preview-frame").Select(f => f.GetAttribute("src")!)
            .Select(src => PreviewSource().Match(src))
            .Where(m => m.Success)
            .Select(m => new BrandPreview(m.Value, m.Groups["kind"].Value, m.Groups["lang"].Value)),
    ];

    [GeneratedRegex("^/admin/branding/preview/[0-9a-f]{32}/(?<kind>mail|link|code|message)/(?<lang>en|nl)(?:\\?.*)?$")]
    private static partial Regex PreviewSource();
}

/// <summary>The rule edit page <c>/admin/rules/edit</c>.</summary>
public sealed class RulesEditPage(HtmlPage page) : HtmlPage(page)
{
    public const string FormSelector = "form.rule-form";

    /// <summary>What the form would submit as it is.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => FormFields(FormSelector);

    /// <summary>The error of one field by its name (e.g. <c>Input.Name</c>), empty when none, null when the field has no error slot.</summary>
    public string? ErrorFor(string name) => FieldError(name.Replace('.', '_').Replace('[', '_').Replace(']', '_') + "-error");

    /// <summary>The templates offered (value and text).</summary>
    public IReadOnlyList<(string Value, string Text)> Templates =>
        [.. FindAll("select[name='Input.TemplateId'] option").Select(o => (o.GetAttribute("value") ?? string.Empty, o.TextContent.Trim()))];
}
