using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Keys;

/// <summary>/admin/keys/api-keys/{id}/revoke: confirm, then revoke. A key of another tenant is 404.</summary>
public sealed class RevokeApiKeyModel(KeyAdministration keys, AdminScope scope, IStringLocalizer<KeysResource> text) : PageModel
{
    public ApiKeyRow Key { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var key = await keys.FindApiKeyAsync(scope.TenantId, id, cancellationToken);
        if (key is null)
        {
            return NotFound();
        }

        Key = key;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        var key = await keys.FindApiKeyAsync(scope.TenantId, id, cancellationToken);
        if (key is null || await keys.RevokeApiKeyAsync(scope.TenantId, id, scope.Actor, cancellationToken) == ApiKeyRevocation.NotFound)
        {
            return NotFound();
        }

        TempData[nameof(IndexModel.Notice)] = text["RevokedNotice", key.Name].Value;
        return Redirect("/admin/keys");
    }
}
