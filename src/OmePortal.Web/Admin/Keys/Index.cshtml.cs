using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Keys;

/// <summary>/admin/keys: tenant key versions with the re-wrap progress, API keys, and creating one (shown once).</summary>
public sealed class IndexModel(KeyAdministration keys, AdminScope scope, IStringLocalizer<KeysResource> text) : PageModel
{
    public KeyOverview Overview { get; private set; } = new([]);

    public IReadOnlyList<ApiKeyRow> ApiKeys { get; private set; } = [];

    /// <summary>The key just created: in this response only, never stored or redirected.</summary>
    public CreatedApiKey? Created { get; private set; }

    [TempData]
    public string? Notice { get; set; }

    [BindProperty]
    public CreateInput Input { get; set; } = new();

    public sealed class CreateInput
    {
        public string? Name { get; set; }
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        var name = Input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            ModelState.AddModelError("Input.Name", text["NameRequired"]);
        }
        else if (name.Length > KeyAdministration.MaxNameLength)
        {
            ModelState.AddModelError("Input.Name", text["NameTooLong", KeyAdministration.MaxNameLength]);
        }

        if (!ModelState.IsValid)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(cancellationToken);
            return Page();
        }

        Created = await keys.CreateApiKeyAsync(scope.TenantId, name!, scope.Actor, cancellationToken);
        Input = new CreateInput();
        ModelState.Clear();
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Overview = await keys.OverviewAsync(scope.TenantId, cancellationToken);
        ApiKeys = await keys.ListApiKeysAsync(scope.TenantId, cancellationToken);
    }
}
