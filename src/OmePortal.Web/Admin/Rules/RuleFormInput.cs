using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>The rule form: lists as one entry per line, sensitive information as a tick and a minimum per kind.</summary>
public sealed class RuleFormInput
{
    public string? Name { get; set; }
    public bool Enabled { get; set; } = true;
    public bool StopProcessing { get; set; }
    public bool RecipientExternal { get; set; }
    public string? RecipientDomains { get; set; }
    public string? Senders { get; set; }
    public string? SubjectWords { get; set; }
    public string? SubjectOrBodyWords { get; set; }
    public bool HasAttachment { get; set; }
    public string? AttachmentTypes { get; set; }
    public bool PaymentCard { get; set; }
    public int PaymentCardMin { get; set; } = 1;
    public bool Iban { get; set; }
    public int IbanMin { get; set; } = 1;
    public bool DutchBsn { get; set; }
    public int DutchBsnMin { get; set; } = 1;
    public RuleActionKind Action { get; set; } = RuleActionKind.Encrypt;
    public Guid? TemplateId { get; set; }
    public ProtectionLevel Protection { get; set; } = ProtectionLevel.EncryptOnly;
    public int? ExpiryDays { get; set; }
    public OmePortal.Core.EndToEnd.DeliveryPreference Delivery { get; set; } = OmePortal.Core.EndToEnd.DeliveryPreference.Portal;
    public bool EndToEndForDoNotForward { get; set; }

    public RuleConditions ToConditions()
    {
        var sensitive = new List<SensitiveInformationCondition>();
        if (PaymentCard)
        {
            sensitive.Add(new(SensitiveInformationKind.PaymentCard, PaymentCardMin));
        }

        if (Iban)
        {
            sensitive.Add(new(SensitiveInformationKind.Iban, IbanMin));
        }

        if (DutchBsn)
        {
            sensitive.Add(new(SensitiveInformationKind.DutchBsn, DutchBsnMin));
        }

        return new RuleConditions
        {
            RecipientExternal = RecipientExternal,
            RecipientDomains = Lines(RecipientDomains),
            Senders = Lines(Senders),
            SubjectWords = Lines(SubjectWords),
            SubjectOrBodyWords = Lines(SubjectOrBodyWords),
            HasAttachment = HasAttachment,
            AttachmentTypes = Lines(AttachmentTypes),
            SensitiveInformation = sensitive,
        };
    }

    /// <summary>Template, protection and expiry only mean something for an encrypt action; the others drop them.</summary>
    public RuleAction ToAction() => Action == RuleActionKind.Encrypt
        ? RuleAction.Encrypt(Protection, TemplateId, ExpiryDays) with { Delivery = Delivery, EndToEndForDoNotForward = EndToEndForDoNotForward }
        : new RuleAction(Action);

    public MailFlowRule ToRule(Guid? id, int priority) =>
        new(id ?? Guid.Empty, (Name ?? string.Empty).Trim(), priority, Enabled, ToConditions(), ToAction(), StopProcessing);

    public static RuleFormInput From(MailFlowRule rule)
    {
        var c = rule.Conditions;
        var input = new RuleFormInput
        {
            Name = rule.Name,
            Enabled = rule.Enabled,
            StopProcessing = rule.StopProcessing,
            RecipientExternal = c.RecipientExternal,
            RecipientDomains = string.Join('\n', c.RecipientDomains),
            Senders = string.Join('\n', c.Senders),
            SubjectWords = string.Join('\n', c.SubjectWords),
            SubjectOrBodyWords = string.Join('\n', c.SubjectOrBodyWords),
            HasAttachment = c.HasAttachment,
            AttachmentTypes = string.Join('\n', c.AttachmentTypes),
            Action = rule.Action.Kind,
            TemplateId = rule.Action.TemplateId,
            Protection = rule.Action.Protection,
            ExpiryDays = rule.Action.ExpiryDays,
            Delivery = rule.Action.Delivery,
            EndToEndForDoNotForward = rule.Action.EndToEndForDoNotForward,
        };
        foreach (var s in c.SensitiveInformation)
        {
            switch (s.Kind)
            {
                case SensitiveInformationKind.PaymentCard:
                    (input.PaymentCard, input.PaymentCardMin) = (true, s.MinimumCount);
                    break;
                case SensitiveInformationKind.Iban:
                    (input.Iban, input.IbanMin) = (true, s.MinimumCount);
                    break;
                case SensitiveInformationKind.DutchBsn:
                    (input.DutchBsn, input.DutchBsnMin) = (true, s.MinimumCount);
                    break;
            }
        }

        return input;
    }

    /// <summary>Puts each validation problem on its field, in the admin's language.</summary>
    public static void AddErrors(ModelStateDictionary modelState, IEnumerable<RuleError> errors, IStringLocalizer<RulesResource> text)
    {
        foreach (var error in errors)
        {
            var (key, message) = error.Field switch
            {
                "Name" => ("Input.Name", text["ErrorName_" + error.Kind, error.Limit].Value),
                nameof(RuleConditions.RecipientDomains) or nameof(RuleConditions.Senders) or nameof(RuleConditions.SubjectWords)
                    or nameof(RuleConditions.SubjectOrBodyWords) or nameof(RuleConditions.AttachmentTypes) =>
                    ("Input." + error.Field, error.Kind is RuleErrorKind.TooMany or RuleErrorKind.TooLong
                        ? text["ErrorList_" + error.Kind, error.Limit].Value
                        : text["Error" + error.Field + "_Invalid"].Value),
                nameof(RuleConditions.SensitiveInformation) => ("Input.PaymentCardMin", text["ErrorSensitiveInformation", RuleValidator.MaxMinimumCount].Value),
                "ExpiryDays" => ("Input.ExpiryDays", text["ErrorExpiryDays", RuleValidator.MaxExpiryDays].Value),
                "Template" => ("Input.TemplateId", text["ErrorTemplate"].Value),
                _ => ("Input.Action", text["ErrorAction"].Value),
            };
            modelState.AddModelError(key, message);
        }
    }

    private static string[] Lines(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : [.. value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
}
