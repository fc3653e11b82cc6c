namespace OmePortal.Testing.Pages;

/// <summary>/admin/recipient-keys: the directory rows, upload outcomes, trust anchors and signing identities.</summary>
public sealed class RecipientKeysAdminPage(HtmlPage page) : HtmlPage(page)
{
    public const string Path = "/admin/recipient-keys";

    /// <summary>Fingerprint → status (Usable, Expired, Untrusted, ...) of each directory row.</summary>
    public IReadOnlyDictionary<string, string> Statuses =>
        FindAll("[data-table='recipient-keys'] tr[data-fingerprint]").ToDictionary(r => r.GetAttribute("data-fingerprint")!, r => r.GetAttribute("data-status")!);

    public string? ReasonOf(string fingerprint) => Text($"tr[data-fingerprint='{fingerprint}'] [data-reason]");

    /// <summary>(accepted or refused, text) of each uploaded file.</summary>
    public IReadOnlyList<(bool Accepted, string Text)> Outcomes =>
        [.. FindAll("[data-outcome]").Select(e => (e.GetAttribute("data-outcome") == "accepted", e.TextContent.Trim()))];

    public IReadOnlyList<string> Anchors => [.. FindAll("[data-anchor]").Select(e => e.GetAttribute("data-anchor")!)];

    /// <summary>Kind → expiry state (ok, soon, expired) of each signing identity.</summary>
    public IReadOnlyDictionary<string, string> SigningIdentities =>
        FindAll("[data-signing]").ToDictionary(e => e.GetAttribute("data-signing")!, e => e.GetAttribute("data-expiry")!);
}

/// <summary>The recipient's key section of /security.</summary>
public sealed class OwnKeysSection(HtmlPage page) : HtmlPage(page)
{
    public bool IsShown => Find("[data-own-keys]") is not null;

    public IReadOnlyList<string> Fingerprints => [.. FindAll("[data-own-key]").Select(e => e.GetAttribute("data-own-key")!)];

    public bool OffersUpload => Find("form.own-key-upload") is not null;
}
