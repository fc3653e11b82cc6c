using System.Globalization;

namespace OmePortal.Core.Rules;

/// <summary>Why a condition matched, in words an admin can act on. Never holds the sensitive values themselves.</summary>
public sealed record ConditionMatch(RuleConditionKind Condition, IReadOnlyList<string> Details);

public enum RuleConditionKind
{
    RecipientExternal,
    RecipientDomain,
    Sender,
    SubjectWords,
    SubjectOrBodyWords,
    HasAttachment,
    AttachmentType,
    SensitiveInformation,
}

/// <summary>A rule whose conditions all matched, with the reason for each, and whether its action took effect.</summary>
public sealed record RuleMatch(MailFlowRule Rule, IReadOnlyList<ConditionMatch> Reasons, bool Applied);

/// <summary>What the rules decided for one message.</summary>
public abstract record RuleDecision
{
    private RuleDecision() { }

    /// <summary>No matching rule had an encrypt or do-not-encrypt action.</summary>
    public sealed record NoRuleMatched : RuleDecision;

    /// <summary>Encrypt with the action of <see cref="By"/>.</summary>
    public sealed record Encrypt(MailFlowRule By, RuleAction Action) : RuleDecision;

    /// <summary>A do-not-encrypt rule exempted the message.</summary>
    public sealed record DoNotEncrypt(MailFlowRule By) : RuleDecision;
}

/// <param name="Matches">Every rule that matched, in evaluation order.</param>
/// <param name="StoppedBy">The matching rule that said "stop processing", if any; later rules were not evaluated.</param>
public sealed record RuleEvaluation(RuleDecision Decision, IReadOnlyList<RuleMatch> Matches, MailFlowRule? StoppedBy);

/// <summary>
/// Evaluates a tenant's mail-flow rules, like Exchange transport rules:
/// <list type="number">
/// <item>Enabled rules are evaluated in ascending <see cref="MailFlowRule.Priority"/> (then name, then id, so the order is total).</item>
/// <item>Every rule whose conditions all match is a match; evaluation goes on until a matching rule has
/// <see cref="MailFlowRule.StopProcessing"/>: rules after it are not evaluated at all.</item>
/// <item>Of the matches, a <b>do-not-encrypt</b> action wins over every encrypt action, before or after it: it is an
/// explicit exemption. To keep an exemption further down from overriding an encrypt rule, give that encrypt rule
/// "stop processing".</item>
/// <item>Otherwise the <b>first</b> matching encrypt rule (highest priority) decides template, protection and expiry;
/// later encrypt matches are reported but not applied.</item>
/// <item>No encrypt or do-not-encrypt match: <see cref="RuleDecision.NoRuleMatched"/>; the caller decides what that means
/// (the SMTP gateway relays, the REST API encrypts with the tenant default).</item>
/// </list>
/// </summary>
public static class RuleEngine
{
    public static IEnumerable<MailFlowRule> InEvaluationOrder(IEnumerable<MailFlowRule> rules) =>
        rules.OrderBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Id);

    /// <param name="tenantDomains">The tenant's own domains, for "recipient is external".</param>
    public static RuleEvaluation Evaluate(IEnumerable<MailFlowRule> rules, RuleMessage message, IReadOnlyCollection<string> tenantDomains)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(tenantDomains);

        var matches = new List<(MailFlowRule Rule, IReadOnlyList<ConditionMatch> Reasons)>();
        MailFlowRule? stoppedBy = null;
        var facts = new Facts(message, tenantDomains);
        foreach (var rule in InEvaluationOrder(rules).Where(r => r.Enabled))
        {
            var reasons = Match(rule.Conditions, facts);
            if (reasons is null)
            {
                continue;
            }

            matches.Add((rule, reasons));
            if (rule.StopProcessing)
            {
                stoppedBy = rule;
                break;
            }
        }

        var exemption = matches.FirstOrDefault(m => m.Rule.Action.Kind == RuleActionKind.DoNotEncrypt).Rule;
        var encryption = matches.FirstOrDefault(m => m.Rule.Action.Kind == RuleActionKind.Encrypt).Rule;
        RuleDecision decision = exemption is not null ? new RuleDecision.DoNotEncrypt(exemption)
            : encryption is not null ? new RuleDecision.Encrypt(encryption, encryption.Action)
            : new RuleDecision.NoRuleMatched();
        var deciding = exemption ?? encryption;
        return new RuleEvaluation(
            decision,
            [.. matches.Select(m => new RuleMatch(m.Rule, m.Reasons, Applied: m.Rule.Action.Kind == RuleActionKind.None || ReferenceEquals(m.Rule, deciding)))],
            stoppedBy);
    }

    /// <summary>The reasons for each condition when all match; null when one does not.</summary>
    private static List<ConditionMatch>? Match(RuleConditions conditions, Facts facts)
    {
        var reasons = new List<ConditionMatch>();

        bool Add(RuleConditionKind kind, IReadOnlyList<string>? details)
        {
            if (details is null)
            {
                return false;
            }

            reasons.Add(new ConditionMatch(kind, details));
            return true;
        }

        if (conditions.RecipientExternal && !Add(RuleConditionKind.RecipientExternal, facts.ExternalRecipients()))
        {
            return null;
        }

        if (conditions.RecipientDomains.Count > 0 && !Add(RuleConditionKind.RecipientDomain, facts.RecipientsIn(conditions.RecipientDomains)))
        {
            return null;
        }

        if (conditions.Senders.Count > 0 && !Add(RuleConditionKind.Sender, facts.SenderIn(conditions.Senders)))
        {
            return null;
        }

        if (conditions.SubjectWords.Count > 0 && !Add(RuleConditionKind.SubjectWords, Words.Find(facts.Message.Subject, conditions.SubjectWords)))
        {
            return null;
        }

        if (conditions.SubjectOrBodyWords.Count > 0 && !Add(RuleConditionKind.SubjectOrBodyWords, Words.Find(facts.SubjectAndBody, conditions.SubjectOrBodyWords)))
        {
            return null;
        }

        if (conditions.HasAttachment && !Add(RuleConditionKind.HasAttachment, facts.Message.Attachments.Count > 0
                ? [facts.Message.Attachments.Count.ToString(CultureInfo.InvariantCulture)]
                : null))
        {
            return null;
        }

        if (conditions.AttachmentTypes.Count > 0 && !Add(RuleConditionKind.AttachmentType, facts.AttachmentTypesIn(conditions.AttachmentTypes)))
        {
            return null;
        }

        if (conditions.SensitiveInformation.Count > 0 && !Add(RuleConditionKind.SensitiveInformation, facts.SensitiveInformation(conditions.SensitiveInformation)))
        {
            return null;
        }

        return reasons;
    }

    /// <summary>Lazily computed facts about one message, shared by all rules (each detector runs once per message).</summary>
    private sealed class Facts(RuleMessage message, IReadOnlyCollection<string> tenantDomains)
    {
        private readonly Dictionary<SensitiveInformationKind, int> _counts = [];
        private string? _subjectAndBody;

        public RuleMessage Message => message;

        public string SubjectAndBody => _subjectAndBody ??= message.Subject + "\n" + message.BodyText;

        public IReadOnlyList<string>? ExternalRecipients()
        {
            if (tenantDomains.Count == 0)
            {
                // Without the tenant's domains nobody can be told apart as external; the admin pages warn about it.
                return null;
            }

            var external = message.Recipients.Where(r => !Domains.IsIn(Domains.Of(r), tenantDomains)).ToList();
            return external.Count > 0 ? external : null;
        }

        public IReadOnlyList<string>? RecipientsIn(IReadOnlyList<string> domains)
        {
            var hits = message.Recipients.Where(r => Domains.IsIn(Domains.Of(r), domains)).ToList();
            return hits.Count > 0 ? hits : null;
        }

        public IReadOnlyList<string>? SenderIn(IReadOnlyList<string> senders)
        {
            if (message.Sender is not { } sender)
            {
                return null;
            }

            foreach (var entry in senders)
            {
                var normalized = entry.Trim().ToLowerInvariant();
                if (normalized.Contains('@', StringComparison.Ordinal)
                        ? string.Equals(normalized, sender, StringComparison.Ordinal)
                        : Domains.IsIn(Domains.Of(sender), [normalized]))
                {
                    return [sender];
                }
            }

            return null;
        }

        public IReadOnlyList<string>? AttachmentTypesIn(IReadOnlyList<string> types)
        {
            var hits = new List<string>();
            foreach (var attachment in message.Attachments)
            {
                var matched = types.FirstOrDefault(t => AttachmentTypes.Matches(t, attachment));
                if (matched is not null)
                {
                    hits.Add(string.IsNullOrEmpty(attachment.FileName) ? attachment.ContentType : $"{attachment.FileName} ({attachment.ContentType})");
                }
            }

            return hits.Count > 0 ? hits : null;
        }

        public IReadOnlyList<string>? SensitiveInformation(IReadOnlyList<SensitiveInformationCondition> conditions)
        {
            var hits = new List<string>();
            foreach (var condition in conditions)
            {
                if (!_counts.TryGetValue(condition.Kind, out var count))
                {
                    count = Rules.SensitiveInformation.Count(condition.Kind, SubjectAndBody);
                    _counts[condition.Kind] = count;
                }

                if (count >= Math.Max(1, condition.MinimumCount))
                {
                    hits.Add(string.Create(CultureInfo.InvariantCulture, $"{condition.Kind}: {count} ≥ {Math.Max(1, condition.MinimumCount)}"));
                }
            }

            return hits.Count > 0 ? hits : null;
        }
    }
}

/// <summary>Domain comparisons: lower case, and a domain includes its subdomains.</summary>
public static class Domains
{
    public static string Of(string address)
    {
        var at = address.LastIndexOf('@');
        return (at >= 0 ? address[(at + 1)..] : address).Trim().TrimEnd('.').ToLowerInvariant();
    }

    public static string Normalize(string domain) => domain.Trim().TrimStart('@').TrimEnd('.').ToLowerInvariant();

    public static bool IsIn(string domain, IEnumerable<string> domains) =>
        domains.Select(Normalize).Any(d => d.Length > 0
            && (string.Equals(domain, d, StringComparison.Ordinal) || domain.EndsWith("." + d, StringComparison.Ordinal)));
}

/// <summary>Attachment type entries: ".pdf" or "pdf" is an extension; "application/pdf" or "image/*" a content type.</summary>
public static class AttachmentTypes
{
    public static bool Matches(string entry, RuleAttachment attachment)
    {
        var type = entry.Trim().ToLowerInvariant();
        if (type.Length == 0)
        {
            return false;
        }

        if (type.Contains('/', StringComparison.Ordinal))
        {
            return type.EndsWith("/*", StringComparison.Ordinal)
                ? attachment.ContentType.StartsWith(type[..^1], StringComparison.Ordinal)
                : string.Equals(type, attachment.ContentType, StringComparison.Ordinal);
        }

        var extension = type.StartsWith('.') ? type : "." + type;
        return attachment.FileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Whole-word search, case-insensitive: a term matches where it is not glued to a letter or digit on a side
/// where the term itself begins or ends with one ("secure" is not found in "insecure"; "[secure]" is found in "re:[secure]").
/// </summary>
public static class Words
{
    public static IReadOnlyList<string>? Find(string text, IReadOnlyList<string> terms)
    {
        var hits = terms.Where(t => !string.IsNullOrWhiteSpace(t) && Contains(text, t.Trim())).Select(t => t.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return hits.Count > 0 ? hits : null;
    }

    public static bool Contains(string text, string term)
    {
        if (term.Length == 0)
        {
            return false;
        }

        var start = 0;
        while (start <= text.Length - term.Length)
        {
            var index = text.IndexOf(term, start, StringComparison.OrdinalIgnoreCase);
            if (index < 0)
            {
                return false;
            }

            var end = index + term.Length;
            var leftOk = !char.IsLetterOrDigit(term[0]) || index == 0 || !char.IsLetterOrDigit(text[index - 1]);
            var rightOk = !char.IsLetterOrDigit(term[^1]) || end == text.Length || !char.IsLetterOrDigit(text[end]);
            if (leftOk && rightOk)
            {
                return true;
            }

            start = index + 1;
        }

        return false;
    }
}
