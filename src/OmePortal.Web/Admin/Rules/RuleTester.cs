using Microsoft.Extensions.Options;
using OmePortal.Core.EndToEnd;
using OmePortal.Core.Mime;
using OmePortal.Core.Rules;
using OmePortal.Web.EndToEnd;
using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>The rule tester's answer for one uploaded message.</summary>
public abstract record RuleTestOutcome
{
    private RuleTestOutcome() { }

    /// <param name="Delivery">For an encrypted message: how each recipient would be sent it, and why.</param>
    public sealed record Evaluated(string FileName, RuleEvaluation Evaluation, IReadOnlyList<RecipientDelivery>? Delivery = null) : RuleTestOutcome;

    public sealed record NoFile : RuleTestOutcome;

    public sealed record TooLarge(long Limit) : RuleTestOutcome;

    public sealed record Unreadable(string Detail) : RuleTestOutcome;

    public sealed record RulesBroken(IReadOnlyList<string> Rules) : RuleTestOutcome;
}

/// <summary>
/// The admin rule tester: evaluates an uploaded .eml against the tenant's rules (and optionally an unsaved
/// draft). The upload is read into memory up to <see cref="RulesOptions.MaxTesterBytes"/> and never stored.
/// </summary>
public sealed class RuleTester(MailFlowRules rules, DeliveryPlanner delivery, IOptions<RulesOptions> options)
{
    public long MaxBytes => options.Value.MaxTesterBytes;

    public async Task<RuleTestOutcome> TestAsync(Guid tenantId, IFormFile? upload, MailFlowRule? draft, CancellationToken cancellationToken)
    {
        if (upload is null || upload.Length == 0)
        {
            return new RuleTestOutcome.NoFile();
        }

        if (upload.Length > MaxBytes)
        {
            return new RuleTestOutcome.TooLarge(MaxBytes);
        }

        using var buffer = new MemoryStream((int)upload.Length);
        await using (var input = upload.OpenReadStream())
        {
            await input.CopyToAsync(buffer, cancellationToken);
        }

        buffer.Position = 0;
        var verdict = await rules.EvaluateAsync(tenantId, buffer, null, null, cancellationToken, draft);
        var name = Path.GetFileName(upload.FileName ?? string.Empty);
        return verdict switch
        {
            RulesVerdict.Evaluated evaluated => new RuleTestOutcome.Evaluated(name, evaluated.Evaluation, await DeliveryOfAsync(tenantId, buffer, evaluated.Evaluation, cancellationToken)),
            RulesVerdict.Unavailable unavailable => new RuleTestOutcome.RulesBroken(unavailable.BrokenRules),
            RulesVerdict.Unreadable unreadable => new RuleTestOutcome.Unreadable(unreadable.Detail),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    /// <summary>What the same planner the ingestor asks would decide for each header recipient of an encrypted message.</summary>
    private async Task<IReadOnlyList<RecipientDelivery>?> DeliveryOfAsync(Guid tenantId, MemoryStream buffer, RuleEvaluation evaluation, CancellationToken cancellationToken)
    {
        if (evaluation.Decision is not RuleDecision.Encrypt { Action: var action })
        {
            return null;
        }

        buffer.Position = 0;
        using var message = await MimeKit.MimeMessage.LoadAsync(buffer, cancellationToken);
        var addresses = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
            .Select(m => AddressNormalizer.Normalize(m.Address))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var plan = await delivery.PlanAsync(tenantId, action.Delivery, action.EndToEndForDoNotForward, action.Protection, addresses, cancellationToken);
        return [.. addresses.Select(address => new RecipientDelivery(address, plan.For(address)))];
    }
}

public sealed record RecipientDelivery(string Address, DeliveryDecision Decision);
