using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Admin;
using OmePortal.Web.Revocation;

namespace OmePortal.Web.Admin.Revocation;

/// <summary>
/// /admin/messages/{id}/revoke[?recipient=...]: shows what revoking will do (who loses access, who keeps
/// it, mail cancelled, whether the content is destroyed), then revokes on POST. Message and recipient
/// are looked up within the admin's tenant: another tenant's ids are 404.
/// </summary>
public sealed class RevokeModel(MessageRevocation revocation, AdminScope scope) : PageModel
{
    public RevocationPreview Preview { get; private set; } = null!;

    /// <summary>The one recipient to revoke; null for all.</summary>
    public RevocationTarget? Recipient { get; private set; }

    public RevocationResult.Done? Done { get; private set; }

    /// <summary>Who loses access with this revocation.</summary>
    public IReadOnlyList<RevocationTarget> Losing =>
        [.. Preview.Recipients.Where(r => !r.Revoked && (Recipient is null || r.RecipientId == Recipient.RecipientId))];

    /// <summary>Who keeps access (revoking one recipient).</summary>
    public IReadOnlyList<RevocationTarget> Keeping =>
        Recipient is null ? [] : [.. Preview.Recipients.Where(r => !r.Revoked && r.RecipientId != Recipient.RecipientId)];

    /// <summary>True when nobody will be able to read afterwards, so the key is shredded.</summary>
    public bool WillShred => !Preview.Shredded && Keeping.Count == 0;

    public async Task<IActionResult> OnGetAsync(Guid id, Guid? recipient, CancellationToken cancellationToken)
    {
        return await LoadAsync(id, recipient, cancellationToken) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, Guid? recipient, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, recipient, cancellationToken))
        {
            return NotFound();
        }

        switch (await revocation.RevokeAsync(scope.TenantId, id, recipient, scope.Actor, cancellationToken))
        {
            case RevocationResult.Done done:
                Done = done;
                await LoadAsync(id, recipient, cancellationToken);
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> LoadAsync(Guid id, Guid? recipient, CancellationToken cancellationToken)
    {
        var preview = await revocation.PreviewAsync(scope.TenantId, id, cancellationToken);
        if (preview is null)
        {
            return false;
        }

        Preview = preview;
        if (recipient is { } recipientId)
        {
            Recipient = preview.Recipients.FirstOrDefault(r => r.RecipientId == recipientId);
            return Recipient is not null;
        }

        return true;
    }
}
