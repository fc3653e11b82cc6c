using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Data;

namespace OmePortal.Web.Rules;

/// <summary>How to protect a message a rule chose to encrypt. Null fields: the template's or tenant's default.</summary>
public sealed record RuleEncryption(ProtectionLevel Protection, string? TemplateName, int? ExpiresInDays, MailFlowRule Rule);

/// <summary>What the tenant's rules say about one message.</summary>
public abstract record RulesVerdict
{
    private RulesVerdict() { }

    /// <summary>The rules ran. <see cref="Encryption"/> is set exactly when the decision is to encrypt.</summary>
    public sealed record Evaluated(RuleEvaluation Evaluation, RuleEncryption? Encryption) : RulesVerdict;

    /// <summary>A stored rule is broken, so the rules cannot be trusted: callers fail closed (encrypt).</summary>
    public sealed record Unavailable(IReadOnlyList<string> BrokenRules) : RulesVerdict;

    /// <summary>The bytes are not a readable message.</summary>
    public sealed record Unreadable(string Detail) : RulesVerdict;
}

/// <summary>Applies a tenant's mail-flow rules to raw messages (SMTP gateway, REST API, admin rule tester).</summary>
public sealed class MailFlowRules(RuleStore store, OmePortalDbContext db, ILogger<MailFlowRules> logger)
{
    // The subject and body words a rule looks for must be decoded as the sender's charset said.
    static MailFlowRules() => OmePortal.Core.Mime.MimeCharsets.EnsureRegistered();

    private static readonly HeaderId[] MessageHeaders = [HeaderId.From, HeaderId.Sender, HeaderId.To, HeaderId.Cc, HeaderId.Bcc, HeaderId.Subject, HeaderId.Date];

    /// <param name="mime">A seekable stream holding the message; its position is restored.</param>
    /// <param name="draft">For the rule tester: a rule being edited, evaluated in place of its saved version (or added, when new).</param>
    public async Task<RulesVerdict> EvaluateAsync(
        Guid tenantId,
        Stream mime,
        string? envelopeSender,
        IReadOnlyList<string>? envelopeRecipients,
        CancellationToken cancellationToken,
        MailFlowRule? draft = null)
    {
        var stored = await store.ListAsync(tenantId, cancellationToken);
        var broken = stored.Where(r => r.Rule is null && r.Record.Id != draft?.Id).Select(r => r.Record.Name).ToList();
        if (broken.Count > 0)
        {
            return new RulesVerdict.Unavailable(broken);
        }

        var rules = stored.Select(r => r.Rule!).Where(r => r.Id != draft?.Id).ToList();
        if (draft is not null)
        {
            rules.Add(draft);
        }

        var start = mime.Position;
        RuleMessage message;
        try
        {
            var parser = new MimeParser(mime, MimeFormat.Entity, persistent: true);
            using var parsed = await parser.ParseMessageAsync(cancellationToken);
            if (!MessageHeaders.Any(parsed.Headers.Contains))
            {
                return new RulesVerdict.Unreadable("The input has none of the headers of an email message (From, To, Cc, Bcc, Subject or Date).");
            }

            message = RuleMessage.From(parsed, envelopeSender, envelopeRecipients);
        }
        catch (FormatException ex)
        {
            return new RulesVerdict.Unreadable("The message could not be parsed: " + ex.Message);
        }
        finally
        {
            mime.Position = start;
        }

        var domains = await store.DomainsAsync(tenantId, cancellationToken);
        var evaluation = RuleEngine.Evaluate(rules, message, domains.ToList());
        if (evaluation.Decision is not RuleDecision.Encrypt encrypt)
        {
            return new RulesVerdict.Evaluated(evaluation, null);
        }

        string? templateName = null;
        if (encrypt.Action.TemplateId is { } templateId)
        {
            templateName = await db.BrandTemplates.AsNoTracking()
                .Where(t => t.TenantId == tenantId && t.Id == templateId).Select(t => t.Name).SingleOrDefaultAsync(cancellationToken);
            if (templateName is null)
            {
                RulesLog.MissingTemplate(logger, encrypt.By.Id);
            }
        }

        return new RulesVerdict.Evaluated(evaluation, new RuleEncryption(encrypt.Action.Protection, templateName, encrypt.Action.ExpiryDays, encrypt.By));
    }
}
