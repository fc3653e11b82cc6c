using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Core.RecipientKeys;
using OmePortal.Data;
using OmePortal.Web.RecipientKeys;

namespace OmePortal.Web.Admin.RecipientKeys;

/// <summary>The outcome of one uploaded file, shown after an upload.</summary>
public sealed record UploadOutcome(string FileName, bool Accepted, string Message);

/// <summary>
/// /admin/recipient-keys: the tenant's recipient key directory (search, status and reason per key, upload of one or
/// many files, removal, PGP/MIME or PGP/Inline), its trust anchors, the directory settings and the signing identities
/// with expiry warnings. Every change goes through the services that audit it; ids are fingerprints of the tenant's own
/// rows, so another tenant's fingerprint finds nothing (404).
/// </summary>
public sealed class IndexModel(
    RecipientKeyDirectory directory,
    RecipientTrustAnchors anchors,
    SigningIdentities signing,
    AdminScope scope,
    TimeProvider time,
    IStringLocalizer<RecipientKeysResource> text) : PageModel
{
    /// <summary>At most this many files per upload; each is read whole, up to the key file limit.</summary>
    public const int MaxFilesPerUpload = 50;

    public const int ListLimit = 500;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    public IReadOnlyList<DirectoryEntry> Entries { get; private set; } = [];

    public IReadOnlyList<RecipientTrustAnchorRecord> Anchors { get; private set; } = [];

    public IReadOnlyList<SigningIdentitySummary> SigningIdentities { get; private set; } = [];

    public RecipientKeySettingsRecord Settings { get; private set; } = new();

    public IReadOnlyList<UploadOutcome> Outcomes { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    [TempData]
    public string? Notice { get; set; }

    [BindProperty]
    public string? UploadAddress { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostUploadAsync(List<IFormFile>? files, CancellationToken cancellationToken)
    {
        if (files is null || files.Count == 0)
        {
            return await RefuseAsync("files", text["ChooseFiles"], cancellationToken);
        }

        if (files.Count > MaxFilesPerUpload)
        {
            return await RefuseAsync("files", text["TooManyFiles", MaxFilesPerUpload], cancellationToken);
        }

        var address = string.IsNullOrWhiteSpace(UploadAddress) ? null : UploadAddress.Trim();
        var outcomes = new List<UploadOutcome>();
        foreach (var file in files)
        {
            var content = await ReadAsync(file, cancellationToken);
            if (content is null)
            {
                outcomes.Add(new UploadOutcome(file.FileName, false, text["FileTooLarge", KeyFileLimits.Default.MaxBytes]));
                continue;
            }

            var result = await directory.ImportAsync(scope.TenantId, content, new KeyImportRequest(address, RecipientKeySource.Admin, scope.Actor), cancellationToken);
            outcomes.Add(result switch
            {
                KeyImportResult.Imported imported => new UploadOutcome(file.FileName, true, string.Join("; ", imported.Keys.Select(k =>
                    k.Check.IsUsable ? text["AddedUsable", k.Address, k.Fingerprint].Value : text["AddedNotUsable", k.Address, k.Fingerprint, k.Check.Reason].Value))),
                KeyImportResult.Refused refused => new UploadOutcome(file.FileName, false, text["Refused", text["Error" + refused.Error], refused.Detail]),
                _ => throw new System.Diagnostics.UnreachableException(),
            });
        }

        Outcomes = outcomes;
        if (outcomes.Any(o => !o.Accepted))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string fingerprint, CancellationToken cancellationToken)
    {
        if (!await directory.RemoveAsync(scope.TenantId, fingerprint, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["RemovedNotice", RecipientKeyDirectory.NormalizeFingerprint(fingerprint)];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostFormatAsync(string fingerprint, PgpFormat format, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(format) || !await directory.SetPgpFormatAsync(scope.TenantId, fingerprint, format, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["FormatNotice", format == PgpFormat.Inline ? text["FormatInline"] : text["FormatMime"]];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostSettingsAsync(bool allowSelfSigned, bool signNotifications, CancellationToken cancellationToken)
    {
        await anchors.SaveSettingsAsync(scope.TenantId, allowSelfSigned, signNotifications, scope.Actor, cancellationToken);
        Notice = text["SettingsSaved"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostAnchorAsync(IFormFile? anchorFile, CancellationToken cancellationToken)
    {
        if (anchorFile is null)
        {
            return await RefuseAsync("anchorFile", text["ChooseFiles"], cancellationToken);
        }

        var content = await ReadAsync(anchorFile, cancellationToken);
        if (content is null)
        {
            return await RefuseAsync("anchorFile", text["FileTooLarge", KeyFileLimits.Default.MaxBytes], cancellationToken);
        }

        switch (await anchors.AddAsync(scope.TenantId, content, scope.Actor, cancellationToken))
        {
            case TrustAnchorResult.Added added:
                Notice = text["AnchorsAdded", added.Anchors.Count];
                return RedirectToPage();
            case TrustAnchorResult.Refused refused:
                return await RefuseAsync("anchorFile", text["Refused", text["Error" + refused.Error], refused.Detail], cancellationToken);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    public async Task<IActionResult> OnPostRemoveAnchorAsync(string fingerprint, CancellationToken cancellationToken)
    {
        if (!await anchors.RemoveAsync(scope.TenantId, fingerprint, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["AnchorRemoved"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostSigningAsync(IFormFile? signingFile, RecipientKeyKind kind, CancellationToken cancellationToken)
    {
        if (signingFile is null || !Enum.IsDefined(kind))
        {
            return await RefuseAsync("signingFile", text["ChooseFiles"], cancellationToken);
        }

        if (signingFile.Length > OmePortal.Web.RecipientKeys.SigningIdentities.MaxUploadBytes)
        {
            return await RefuseAsync("signingFile", text["FileTooLarge", OmePortal.Web.RecipientKeys.SigningIdentities.MaxUploadBytes], cancellationToken);
        }

        using var buffer = new MemoryStream();
        await signingFile.CopyToAsync(buffer, cancellationToken);
        var result = kind == RecipientKeyKind.SMime
            ? await signing.SetSmimeAsync(scope.TenantId, buffer.ToArray(), Password, scope.Actor, cancellationToken)
            : await signing.SetOpenPgpAsync(scope.TenantId, buffer.ToArray(), Password, scope.Actor, cancellationToken);
        Password = null;
        switch (result)
        {
            case SigningUploadResult.Stored stored:
                Notice = text["SigningStored", stored.Identity.Fingerprint];
                return RedirectToPage();
            case SigningUploadResult.Refused refused:
                return await RefuseAsync("signingFile", text["SigningRefused", text["Signing" + refused.Error], refused.Detail], cancellationToken);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    public async Task<IActionResult> OnPostRemoveSigningAsync(RecipientKeyKind kind, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(kind) || !await signing.RemoveAsync(scope.TenantId, kind, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["SigningRemoved"];
        return RedirectToPage();
    }

    /// <summary>The localised name of a status (the reason itself is the check's English detail).</summary>
    public string StatusLabel(KeyStatus status) => text["Status" + status];

    private async Task<IActionResult> RefuseAsync(string field, string message, CancellationToken cancellationToken)
    {
        ModelState.AddModelError(field, message);
        Password = null;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        await LoadAsync(cancellationToken);
        return Page();
    }

    /// <summary>The file's bytes, or null when it is larger than a key file may be (read no further than that).</summary>
    private static async Task<byte[]?> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        var limit = KeyFileLimits.Default.MaxBytes;
        if (file.Length > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Now = time.GetUtcNow();
        Entries = await directory.ListAsync(scope.TenantId, Search, ListLimit, cancellationToken);
        Anchors = await anchors.ListAsync(scope.TenantId, cancellationToken);
        SigningIdentities = await signing.ListAsync(scope.TenantId, cancellationToken);
        Settings = await anchors.GetSettingsAsync(scope.TenantId, cancellationToken);
    }
}
