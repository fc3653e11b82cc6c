using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace OmePortal.Testing.Pages;

/// <summary>
/// One answer of the portal, parsed with AngleSharp (the parser HtmlSanitizer uses inside the
/// portal), so tests ask for elements and attributes instead of matching markup with regular
/// expressions that break when an attribute moves. Entities are decoded by the parser.
/// </summary>
public class HtmlPage
{
    public const string AntiforgeryField = "__RequestVerificationToken";

    private static readonly HtmlParser Parser = new();

    public HtmlPage(string html, HttpStatusCode status = HttpStatusCode.OK, string? location = null)
    {
        Html = html;
        Status = status;
        Location = location;
        Document = Parser.ParseDocument(html);
    }

    /// <summary>A page object over another's parse (no second parse).</summary>
    protected HtmlPage(HtmlPage page)
    {
        Html = page.Html;
        Status = page.Status;
        Location = page.Location;
        Document = page.Document;
    }

    public string Html { get; }

    public HttpStatusCode Status { get; }

    /// <summary>The Location header of a redirect, as sent.</summary>
    public string? Location { get; }

    public IHtmlDocument Document { get; }

    /// <summary>The <c>lang</c> of the html element.</summary>
    public string? Language => Document.DocumentElement.GetAttribute("lang");

    /// <summary>The text of the first h1, trimmed.</summary>
    public string? Heading => Text("h1");

    /// <summary>The value of the first antiforgery field (every form on a page carries the same token).</summary>
    public string? AntiforgeryToken => Document.QuerySelector($"input[name='{AntiforgeryField}']")?.GetAttribute("value");

    /// <summary>The texts of the elements with role="alert", trimmed.</summary>
    public IReadOnlyList<string> Alerts => Texts("[role='alert']");

    public static async Task<HtmlPage> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return await FromAsync(response);
    }

    public static async Task<HtmlPage> FromAsync(HttpResponseMessage response) =>
        new(await response.Content.ReadAsStringAsync(), response.StatusCode, response.Headers.Location?.OriginalString);

    public IElement? Find(string selector) => Document.QuerySelector(selector);

    public IReadOnlyList<IElement> FindAll(string selector) => [.. Document.QuerySelectorAll(selector)];

    /// <summary>The element with <c>data-testid</c> <paramref name="testId"/>.</summary>
    public IElement? TestId(string testId) => Document.QuerySelector($"[data-testid='{testId}']");

    /// <summary>The trimmed text of the first match, or null when nothing matches.</summary>
    public string? Text(string selector) => Document.QuerySelector(selector)?.TextContent.Trim();

    public IReadOnlyList<string> Texts(string selector) => [.. Document.QuerySelectorAll(selector).Select(e => e.TextContent.Trim())];

    /// <summary>An attribute of the first match, or null.</summary>
    public string? Attribute(string selector, string name) => Document.QuerySelector(selector)?.GetAttribute(name);

    /// <summary>The trimmed text of the field error with id <paramref name="id"/> (empty when the span is empty, null when absent).</summary>
    public string? FieldError(string id) => Document.GetElementById(id)?.TextContent.Trim();

    /// <summary>
    /// What a browser would submit from the form matching <paramref name="formSelector"/> (default: the
    /// first form), as name/value pairs in document order: text inputs, hidden inputs, checked boxes and
    /// radios, selected options, text areas. File inputs and buttons are left out.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> FormFields(string formSelector = "form")
    {
        var form = Document.QuerySelector(formSelector) as IHtmlFormElement
            ?? throw new InvalidOperationException($"No form '{formSelector}' on the page.");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            switch (element)
            {
                case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name) && !input.IsDisabled:
                    var type = input.Type.ToLowerInvariant();
                    if (type is "file" or "submit" or "button" or "reset" or "image")
                    {
                        break;
                    }

                    if (type is "checkbox" or "radio")
                    {
                        if (input.IsChecked)
                        {
                            fields.Add(new(input.Name, input.GetAttribute("value") ?? "on"));
                        }

                        break;
                    }

                    fields.Add(new(input.Name, input.Value));
                    break;
                case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name) && !area.IsDisabled:
                    fields.Add(new(area.Name, area.Value));
                    break;
                case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name) && !select.IsDisabled:
                    foreach (var option in select.Options.Where(o => o.IsSelected))
                    {
                        fields.Add(new(select.Name, option.Value));
                    }

                    if (!select.IsMultiple && !select.Options.Any(o => o.IsSelected) && select.Options.Length > 0)
                    {
                        fields.Add(new(select.Name, select.Options[0]!.Value));
                    }

                    break;
            }
        }

        return fields;
    }

    /// <summary>The single value of <paramref name="name"/> in the form, or null when the form does not submit it.</summary>
    public string? FormValue(string name, string formSelector = "form") =>
        FormFields(formSelector).Where(f => f.Key == name).Select(f => f.Value).FirstOrDefault();

    public override string ToString() => $"{(int)Status} {Location} {Html}";
}
