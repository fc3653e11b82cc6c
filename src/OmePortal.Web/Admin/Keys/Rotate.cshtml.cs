using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Keys;

/// <summary>/admin/keys/rotate: what a rotation does (the next version, how many message keys get re-wrapped), then rotates on POST.</summary>
public sealed class RotateModel(KeyAdministration keys, AdminScope scope, IStringLocalizer<KeysResource> text) : PageModel
{
    public KeyOverview Overview { get; private set; } = new([]);

    public int NextVersion => (Overview.Versions.Count == 0 ? 0 : Overview.Versions.Max(v => v.Version)) + 1;

    public int MessageKeys => Overview.OnActive + Overview.OnOlder;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Overview = await keys.OverviewAsync(scope.TenantId, cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var version = await keys.RotateAsync(scope.TenantId, scope.Actor, cancellationToken);
        TempData[nameof(IndexModel.Notice)] = text["RotatedNotice", version].Value;
        return Redirect("/admin/keys");
    }
}
