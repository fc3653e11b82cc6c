using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.Rules;

public sealed record TemplateChoice(Guid Id, string Name, bool IsDefault);

/// <summary>What the rules pages need besides the rules: the tenant's templates (for names) and domains.</summary>
public static class RulePageData
{
    public static async Task<IReadOnlyList<TemplateChoice>> TemplatesAsync(TenantData tenant, CancellationToken cancellationToken) =>
        await tenant.BrandTemplates.AsNoTracking()
            .OrderByDescending(t => t.IsDefault).ThenBy(t => t.Name)
            .Select(t => new TemplateChoice(t.Id, t.Name, t.IsDefault)).ToListAsync(cancellationToken);

    public static RuleText TextFor(IStringLocalizer<RulesResource> text, IEnumerable<TemplateChoice> templates) =>
        new(text, templates.ToDictionary(t => t.Id, t => t.Name));
}
