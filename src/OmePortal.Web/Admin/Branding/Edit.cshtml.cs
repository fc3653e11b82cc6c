using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// /admin/branding/new and /admin/branding/{id}: the template form. "Preview" renders the unsaved values
/// (mail and link page, each language) in sandboxed frames; "Save" stores them. The request body is
/// capped before the form is read (a logo plus the texts), and the logo is judged by its content only.
/// </summary>
[RequestSizeLimit(MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = MaxRequestBytes, ValueLengthLimit = 64 * 1024)]
public sealed class EditModel(
    BrandTemplateService templates,
    BrandPreviewDrafts drafts,
    AdminScope scope,
    BrandPreviewSettings settings,
    TimeProvider time,
    IStringLocalizer<BrandingResource> text) : PageModel
{
    /// <summary>The logo, ten texts of up to 1024 characters (percent-encoded UTF-8 can take 9 bytes each) and the rest.</summary>
    public const int MaxRequestBytes = BrandLimits.MaxLogoBytes + 192 * 1024;

    public const string NewId = "new";

    [BindProperty]
    public BrandFormInput Input { get; set; } = new();

    /// <summary>A new logo file; never trusted by name or declared type.</summary>
    [BindProperty]
    public IFormFile? Logo { get; set; }

    public Guid? TemplateId { get; private set; }

    public bool IsDefault { get; private set; }

    public string? StoredName { get; private set; }

    /// <summary>The logo the template will have if saved now (stored, or uploaded with a preview), as a data URI.</summary>
    public string? LogoDataUri { get; private set; }

    public bool HasPendingLogo { get; private set; }

    /// <summary>Set after a successful preview: the draft the preview frames show.</summary>
    public string? PreviewDraft { get; private set; }

    /// <summary>The notification mail per language (its sender line and subject are shown above each mail preview).</summary>
    public IReadOnlyDictionary<string, MailPreview> PreviewMails { get; private set; } = new Dictionary<string, MailPreview>();

    /// <summary>Whether an external provider is open to this tenant; without one the Microsoft switch changes nothing.</summary>
    public bool ExternalSignInConfigured => settings.ExternalSignInConfigured;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (string.Equals(id, NewId, StringComparison.Ordinal))
        {
            // No promise the portal cannot keep: external sign-in starts off where no provider is configured.
            Input = BrandFormInput.From(new BrandTemplate { Name = string.Empty, MicrosoftSignInEnabled = settings.ExternalSignInConfigured });
            return Page();
        }

        var stored = await LoadAsync(id, cancellationToken);
        if (stored is null)
        {
            return NotFound();
        }

        Input = BrandFormInput.From(stored.Brand);
        LogoDataUri = BrandPreview.LogoDataUri(stored.Brand.Logo);
        return Page();
    }

    public async Task<IActionResult> OnPostPreviewAsync(string id, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(id, cancellationToken);
        if (target is null)
        {
            return NotFound();
        }

        var (logoChange, uploaded) = await ResolveLogoAsync(cancellationToken);
        var brand = Input.ToBrand() with { Logo = EffectiveLogo(logoChange, target.Stored) };
        Input.AddErrors(ModelState, BrandValidator.Validate(brand), text);
        if (!ModelState.IsValid || logoChange is null)
        {
            return Page();
        }

        PreviewDraft = await drafts.StoreAsync(scope.TenantId, brand, cancellationToken);
        var portalBase = new Uri($"{Request.Scheme}://{Request.Host}/");
        PreviewMails = BrandLanguages.Supported.ToDictionary(
            language => language,
            language => settings.Mail(brand, language, portalBase, time.GetUtcNow()),
            StringComparer.Ordinal);
        if (uploaded)
        {
            // The file input is empty after this response: keep the processed logo with the draft for Save.
            Input.PendingLogoDraft = PreviewDraft;
            ModelState.Remove($"{BrandFormInput.Prefix}.{nameof(BrandFormInput.PendingLogoDraft)}");
        }

        HasPendingLogo = logoChange is LogoChange.Replace;
        LogoDataUri = BrandPreview.LogoDataUri(brand.Logo);
        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string id, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(id, cancellationToken);
        if (target is null)
        {
            return NotFound();
        }

        var (logoChange, _) = await ResolveLogoAsync(cancellationToken);
        var brand = Input.ToBrand();
        Input.AddErrors(ModelState, BrandValidator.Validate(brand with { Logo = EffectiveLogo(logoChange, target.Stored) }), text);
        if (logoChange is null || !ModelState.IsValid)
        {
            return Page();
        }

        var outcome = target.Stored is null
            ? await templates.CreateAsync(scope.TenantId, scope.Actor, brand, (logoChange as LogoChange.Replace)?.Logo, cancellationToken)
            : await templates.UpdateAsync(scope.TenantId, scope.Actor, target.Stored.Id, brand, logoChange, cancellationToken);
        switch (outcome)
        {
            case BrandTemplateChange.Saved:
                TempData[nameof(IndexModel.Notice)] = text["Saved", brand.Name].Value;
                return Redirect("/admin/branding");
            case BrandTemplateChange.NotFound:
                return NotFound();
            case BrandTemplateChange.NameTaken:
                ModelState.AddModelError($"{BrandFormInput.Prefix}.{nameof(BrandFormInput.Name)}", text["Error_NameTaken"]);
                break;
            case BrandTemplateChange.Invalid invalid:
                Input.AddErrors(ModelState, invalid.Errors, text);
                break;
            default:
                ModelState.AddModelError(string.Empty, text["Error_Invalid"]);
                break;
        }

        return Page();
    }

    private sealed record Target(StoredBrandTemplate? Stored);

    /// <summary>The template the form is for (null inside for a new one), or null when the id is not the tenant's.</summary>
    private async Task<Target?> TargetAsync(string id, CancellationToken cancellationToken)
    {
        Input.Normalize();
        if (string.Equals(id, NewId, StringComparison.Ordinal))
        {
            return new Target(null);
        }

        var stored = await LoadAsync(id, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        TemplateId = stored.Id;
        IsDefault = stored.IsDefault;
        StoredName = stored.Brand.Name;
        LogoDataUri = BrandPreview.LogoDataUri(stored.Brand.Logo);
        return new Target(stored);
    }

    private async Task<StoredBrandTemplate?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var templateId))
        {
            return null;
        }

        var stored = await templates.GetAsync(scope.TenantId, templateId, cancellationToken);
        if (stored is not null)
        {
            TemplateId = stored.Id;
            IsDefault = stored.IsDefault;
            StoredName = stored.Brand.Name;
        }

        return stored;
    }

    /// <summary>What the form asks for the logo; null (with a model error on "Logo") when the upload is refused.</summary>
    private async Task<(LogoChange? Change, bool Uploaded)> ResolveLogoAsync(CancellationToken cancellationToken)
    {
        if (Logo is { } file && (file.Length > 0 || !string.IsNullOrEmpty(file.FileName)))
        {
            byte[] bytes;
            await using (var stream = file.OpenReadStream())
            {
                bytes = await LogoProcessor.ReadCappedAsync(stream, cancellationToken);
            }

            switch (LogoProcessor.Process(bytes))
            {
                case LogoOutcome.Accepted accepted:
                    Input.RemoveLogo = false;
                    HasPendingLogo = true;
                    return (new LogoChange.Replace(accepted.Logo), true);
                case LogoOutcome.Refused refused:
                    ModelState.AddModelError(nameof(Logo), LogoMessage(refused.Problem));
                    return (null, false);
            }
        }

        if ((await drafts.FindAsync(scope.TenantId, Input.PendingLogoDraft, cancellationToken))?.Logo is { } pending)
        {
            HasPendingLogo = true;
            return (new LogoChange.Replace(pending), false);
        }

        Input.PendingLogoDraft = null;
        return Input.RemoveLogo ? (new LogoChange.Remove(), false) : (new LogoChange.Keep(), false);
    }

    private static BrandLogo? EffectiveLogo(LogoChange? change, StoredBrandTemplate? stored) => change switch
    {
        LogoChange.Replace replace => replace.Logo,
        LogoChange.Keep => stored?.Brand.Logo,
        _ => null,
    };

    private string LogoMessage(LogoProblem problem) => problem switch
    {
        LogoProblem.Empty => text["Logo_Empty"],
        LogoProblem.TooLarge => text["Logo_TooLarge", BrandLimits.MaxLogoBytes / 1024],
        LogoProblem.Svg => text["Logo_Svg"],
        LogoProblem.TooManyPixels => text["Logo_TooManyPixels", BrandLimits.MaxLogoPixels],
        LogoProblem.Corrupt => text["Logo_Corrupt"],
        _ => text["Logo_NotAnImage"],
    };

    public string LanguageName(string language) => text["LanguageName_" + language];
}
