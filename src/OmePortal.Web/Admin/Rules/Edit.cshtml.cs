using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Rules;
using OmePortal.Web.Admin;

using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>
/// /admin/rules/new and /admin/rules/{id}: the rule form. "Preview" says in words what the unsaved rule will
/// do; "Test this rule" runs the unsaved rule, in place of its saved version, with the saved rules on an
/// uploaded .eml; "Save" stores it. An id of another tenant's rule is not found (404).
/// </summary>
[RequestSizeLimit(MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = MaxRequestBytes, ValueLengthLimit = 256 * 1024)]
public sealed class RuleEditModel(
    RuleStore store,
    RuleTester tester,
    AdminScope scope,
    IStringLocalizer<RulesResource> text) : PageModel
{
    /// <summary>The tester's .eml (10 MB by default) plus the form fields.</summary>
    public const long MaxRequestBytes = 10L * 1024 * 1024 + 512 * 1024;

    public const string NewId = "new";

    [BindProperty]
    public RuleFormInput Input { get; set; } = new();

    public Guid? RuleId { get; private set; }

    public string? StoredName { get; private set; }

    public IReadOnlyList<TemplateChoice> Templates { get; private set; } = [];

    public RuleText Text { get; private set; } = null!;

    /// <summary>Set by "Preview": the sentence and its warnings.</summary>
    public string? Preview { get; private set; }

    public IReadOnlyList<string> PreviewWarnings { get; private set; } = [];

    public RuleTestOutcome? TestOutcome { get; private set; }

    /// <summary>The id the unsaved rule has in the tester's answer (its own, or a made-up one when new).</summary>
    public Guid? DraftId { get; private set; }

    public long MaxTesterBytes => tester.MaxBytes;

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (RuleId is not null)
        {
            var stored = await store.GetAsync(scope.TenantId, RuleId.Value, cancellationToken);
            if (stored?.Rule is { } rule)
            {
                Input = RuleFormInput.From(rule);
            }
            else if (stored is not null)
            {
                Input = new RuleFormInput { Name = stored.Record.Name, Enabled = stored.Record.Enabled, StopProcessing = stored.Record.StopProcessing };
            }
        }

        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await store.SaveAsync(scope.TenantId, RuleId, Input.Name ?? string.Empty, Input.ToConditions(), Input.ToAction(), Input.StopProcessing, Input.Enabled, scope.Actor, cancellationToken);
        switch (result)
        {
            case RuleSaveResult.Saved:
                TempData["Notice"] = text["Saved", (Input.Name ?? string.Empty).Trim()].Value;
                return Redirect("/admin/rules");
            case RuleSaveResult.Invalid invalid:
                RuleFormInput.AddErrors(ModelState, invalid.Errors, text);
                return Page();
            case RuleSaveResult.NotFound:
                return NotFound();
            default:
                throw new global::System.Diagnostics.UnreachableException();
        }
    }

    public async Task<IActionResult> OnPostPreviewAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (await ValidDraftAsync(cancellationToken) is { } draft)
        {
            Preview = Text.Describe(draft);
            var warnings = new List<string>();
            if (draft.Conditions.RecipientExternal && (await store.DomainsAsync(scope.TenantId, cancellationToken)).Count == 0)
            {
                warnings.Add(text["DescExternalNoDomains"]);
            }

            if (!draft.Enabled)
            {
                warnings.Add(text["DescDisabled"]);
            }

            PreviewWarnings = warnings;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(string id, IFormFile? message, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (await ValidDraftAsync(cancellationToken) is { } draft)
        {
            DraftId = draft.Id;
            TestOutcome = await tester.TestAsync(scope.TenantId, message, draft, cancellationToken);
        }

        return Page();
    }

    /// <summary>The form as a rule (an id is made up for a new one), or null with the problems in ModelState.</summary>
    private async Task<MailFlowRule?> ValidDraftAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return null;
        }

        var errors = await store.ValidateAsync(scope.TenantId, RuleId, Input.Name ?? string.Empty, Input.ToConditions(), Input.ToAction(), cancellationToken);
        if (errors.Count > 0)
        {
            RuleFormInput.AddErrors(ModelState, errors, text);
            return null;
        }

        var stored = RuleId is { } ruleId ? await store.GetAsync(scope.TenantId, ruleId, cancellationToken) : null;
        return Input.ToRule(RuleId ?? Guid.NewGuid(), stored?.Record.Priority ?? int.MaxValue);
    }

    /// <summary>Resolves the route id within the admin's tenant; false when it is neither "new" nor one of its rules.</summary>
    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        Templates = await RulePageData.TemplatesAsync(scope.Data, cancellationToken);
        Text = RulePageData.TextFor(text, Templates);
        if (string.Equals(id, NewId, StringComparison.Ordinal))
        {
            return true;
        }

        if (!Guid.TryParse(id, out var ruleId))
        {
            return false;
        }

        var stored = await store.GetAsync(scope.TenantId, ruleId, cancellationToken);
        if (stored is null)
        {
            return false;
        }

        RuleId = ruleId;
        StoredName = stored.Record.Name;
        return true;
    }
}
