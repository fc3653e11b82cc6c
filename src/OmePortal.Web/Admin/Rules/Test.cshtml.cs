using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>/admin/rules/test: which saved rules an uploaded .eml matches, and why. Nothing is stored or sent.</summary>
[RequestSizeLimit(RuleEditModel.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = RuleEditModel.MaxRequestBytes)]
public sealed class RuleTestModel(RuleTester tester, AdminScope scope, IStringLocalizer<RulesResource> text) : PageModel
{
    public RuleTestOutcome? Outcome { get; private set; }

    public RuleText Text { get; private set; } = null!;

    public long MaxBytes => tester.MaxBytes;

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(IFormFile? message, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        Outcome = await tester.TestAsync(scope.TenantId, message, draft: null, cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Text = RulePageData.TextFor(text, await RulePageData.TemplatesAsync(scope.Data, cancellationToken));
    }
}
