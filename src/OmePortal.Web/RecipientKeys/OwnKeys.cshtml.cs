using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Core.RecipientKeys;
using OmePortal.Web.Access;
using OmePortal.Web.Access.Passkeys;
using OmePortal.Web.Admin.RecipientKeys;
using OmePortal.Web.Reading;

namespace OmePortal.Web.RecipientKeys;

/// <summary>
/// /security/keys: the recipient's own key changes (upload, remove, PGP format), always for the address the
/// session proved and no other. Success goes back to /security (POST-redirect-GET); a refused upload is shown
/// here with its reason and the form again.
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class OwnKeysModel(RecipientOwnKeys ownKeys, IOptions<PasskeyOptions> passkeys, TimeProvider time, IStringLocalizer<RecipientKeysResource> text) : PageModel
{
    /// <summary>The outcomes /security shows after a redirect from here.</summary>
    public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal) { "added", "removed", "format" };

    public string Address { get; private set; } = string.Empty;

    public string? Error { get; private set; }

    public IActionResult OnGet() => LocalRedirect("/security#own-keys-heading");

    public async Task<IActionResult> OnPostUploadAsync(IFormFile? keyFile, bool inline, CancellationToken cancellationToken)
    {
        Address = User.RequiredRecipientAddress();
        ReadingHeaders.NoStore(Response);
        if (!passkeys.Value.SignInIsRecentEnough(User.RecipientSignedInAt(), time.GetUtcNow()))
        {
            return Refuse(text["OwnSignInAgain"], StatusCodes.Status403Forbidden);
        }

        if (keyFile is null || keyFile.Length == 0)
        {
            return Refuse(text["ChooseFiles"]);
        }

        if (keyFile.Length > KeyFileLimits.Default.MaxBytes)
        {
            return Refuse(text["FileTooLarge", KeyFileLimits.Default.MaxBytes]);
        }

        using var buffer = new MemoryStream((int)keyFile.Length);
        await keyFile.CopyToAsync(buffer, cancellationToken);
        var result = await ownKeys.AddAsync(Address, buffer.ToArray(), inline ? PgpFormat.Inline : PgpFormat.Mime, cancellationToken);
        return result switch
        {
            OwnKeyResult.Added => LocalRedirect("/security?keys=added#own-keys-heading"),
            OwnKeyResult.NoOrganisation => Refuse(text["OwnNoOrganisation"]),
            OwnKeyResult.Refused refused => Refuse(text["Refused", text["Error" + refused.Error], refused.Detail]),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    public async Task<IActionResult> OnPostRemoveAsync(string fingerprint, CancellationToken cancellationToken) =>
        await ownKeys.RemoveAsync(User.RequiredRecipientAddress(), fingerprint, cancellationToken)
            ? LocalRedirect("/security?keys=removed#own-keys-heading")
            : NotFound();

    public async Task<IActionResult> OnPostFormatAsync(string fingerprint, PgpFormat format, CancellationToken cancellationToken) =>
        Enum.IsDefined(format) && await ownKeys.SetFormatAsync(User.RequiredRecipientAddress(), fingerprint, format, cancellationToken)
            ? LocalRedirect("/security?keys=format#own-keys-heading")
            : NotFound();

    private PageResult Refuse(string message, int status = StatusCodes.Status400BadRequest)
    {
        Error = message;
        Response.StatusCode = status;
        return Page();
    }
}
