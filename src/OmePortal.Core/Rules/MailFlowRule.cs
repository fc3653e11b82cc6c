using OmePortal.Core.Intake;

namespace OmePortal.Core.Rules;

/// <summary>
/// One mail-flow rule of a tenant (docs/ARCHITECTURE.md §9). A rule matches a message when <b>every</b> condition
/// it sets matches (an unset condition is ignored; a rule without any condition matches every
/// message). Inside one condition the listed values are alternatives: any word, any domain, any type.
/// </summary>
public sealed record MailFlowRule(
    Guid Id,
    string Name,
    int Priority,
    bool Enabled,
    RuleConditions Conditions,
    RuleAction Action,
    bool StopProcessing);

/// <summary>What a rule looks at. Lists are alternatives; empty lists and false flags mean "not set".</summary>
public sealed record RuleConditions
{
    /// <summary>At least one recipient is outside the tenant's own domains.</summary>
    public bool RecipientExternal { get; init; }

    /// <summary>At least one recipient's domain is one of these (or a subdomain of one).</summary>
    public IReadOnlyList<string> RecipientDomains { get; init; } = [];

    /// <summary>The sender is one of these addresses, or in one of these domains (entries without '@').</summary>
    public IReadOnlyList<string> Senders { get; init; } = [];

    /// <summary>The subject contains one of these words or phrases (case-insensitive, whole words).</summary>
    public IReadOnlyList<string> SubjectWords { get; init; } = [];

    /// <summary>The subject or the body text contains one of these words or phrases.</summary>
    public IReadOnlyList<string> SubjectOrBodyWords { get; init; } = [];

    /// <summary>The message has at least one attachment.</summary>
    public bool HasAttachment { get; init; }

    /// <summary>An attachment has one of these types: a file extension (".pdf") or a content type ("application/pdf", "image/*").</summary>
    public IReadOnlyList<string> AttachmentTypes { get; init; } = [];

    /// <summary>The subject and body contain at least the given number of distinct values of one of these kinds.</summary>
    public IReadOnlyList<SensitiveInformationCondition> SensitiveInformation { get; init; } = [];

    public bool IsEmpty =>
        !RecipientExternal && RecipientDomains.Count == 0 && Senders.Count == 0 && SubjectWords.Count == 0
        && SubjectOrBodyWords.Count == 0 && !HasAttachment && AttachmentTypes.Count == 0 && SensitiveInformation.Count == 0;
}

public sealed record SensitiveInformationCondition(SensitiveInformationKind Kind, int MinimumCount = 1);

public enum RuleActionKind
{
    /// <summary>The rule only stops processing (or only shows up in the tester).</summary>
    None,

    /// <summary>Protect the message with the given template, protection and expiry.</summary>
    Encrypt,

    /// <summary>An exemption: the message is not encrypted (relayed as it is).</summary>
    DoNotEncrypt,
}

/// <param name="TemplateId">The branding template; null for the tenant's default template.</param>
/// <param name="ExpiryDays">Days until the message expires (0 = never); null for the template's expiry.</param>
/// <param name="Delivery">Whether recipients with a usable key get the message end to end (S/MIME, PGP) instead of the portal.</param>
/// <param name="EndToEndForDoNotForward">Whether a Do-Not-Forward message may go end to end too (it then loses the portal's controls).</param>
public sealed record RuleAction(
    RuleActionKind Kind,
    Guid? TemplateId = null,
    ProtectionLevel Protection = ProtectionLevel.EncryptOnly,
    int? ExpiryDays = null,
    OmePortal.Core.EndToEnd.DeliveryPreference Delivery = OmePortal.Core.EndToEnd.DeliveryPreference.Portal,
    bool EndToEndForDoNotForward = false)
{
    public static readonly RuleAction None = new(RuleActionKind.None);
    public static readonly RuleAction DoNotEncrypt = new(RuleActionKind.DoNotEncrypt);

    public static RuleAction Encrypt(ProtectionLevel protection, Guid? templateId = null, int? expiryDays = null) =>
        new(RuleActionKind.Encrypt, templateId, protection, expiryDays);
}
