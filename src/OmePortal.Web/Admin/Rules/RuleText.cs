using System.Globalization;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>Rules and their evaluation in the admin's language: one sentence per rule, one line per reason.</summary>
public sealed class RuleText(IStringLocalizer<RulesResource> text, IReadOnlyDictionary<Guid, string> templateNames)
{
    public string Describe(MailFlowRule rule)
    {
        var c = rule.Conditions;
        var parts = new List<string>();
        if (c.RecipientExternal)
        {
            parts.Add(text["DescRecipientExternal"]);
        }

        AddList(parts, "DescRecipientDomains", c.RecipientDomains);
        AddList(parts, "DescSenders", c.Senders);
        AddList(parts, "DescSubjectWords", c.SubjectWords, quote: true);
        AddList(parts, "DescSubjectOrBodyWords", c.SubjectOrBodyWords, quote: true);
        if (c.HasAttachment)
        {
            parts.Add(text["DescHasAttachment"]);
        }

        AddList(parts, "DescAttachmentTypes", c.AttachmentTypes);
        if (c.SensitiveInformation.Count > 0)
        {
            parts.Add(text["DescSensitive", string.Join(text["DescOr"], c.SensitiveInformation.Select(s =>
                text["DescSensitiveItem", Kind(s.Kind), s.MinimumCount.ToString(CultureInfo.CurrentCulture)].Value))]);
        }

        var stop = rule.StopProcessing ? text["DescStop"].Value : string.Empty;
        // "When <conditions>: …" needs conditions; a rule without any reads "For every message: …" (Dutch puts the verb last after "Als").
        return parts.Count == 0
            ? text["DescSentenceAny", Action(rule.Action), stop]
            : text["DescSentence", string.Join(text["DescAnd"], parts), Action(rule.Action), stop];
    }

    public string When(MailFlowRule rule)
    {
        var sentence = Describe(rule);
        var colon = sentence.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 ? sentence[..colon] : sentence;
    }

    public string Action(RuleAction action) => action.Delivery == OmePortal.Core.EndToEnd.DeliveryPreference.Best && action.Kind == RuleActionKind.Encrypt
        ? $"{EncryptionAction(action)}; {(action.EndToEndForDoNotForward ? text["DescDeliveryBestDoNotForward"] : text["DescDeliveryBest"])}"
        : EncryptionAction(action);

    private string EncryptionAction(RuleAction action) => action.Kind switch
    {
        RuleActionKind.Encrypt => text["DescEncrypt",
            action.Protection == ProtectionLevel.DoNotForward ? text["DescDoNotForward"] : text["DescEncryptOnly"],
            action.TemplateId is { } id && templateNames.TryGetValue(id, out var name) ? name : text["DescTemplateDefault"].Value,
            action.ExpiryDays switch
            {
                null => text["DescExpiryTemplate"].Value,
                0 => text["DescExpiryNever"].Value,
                var days => text.Plural("DescExpiryDays", days.Value).Value,
            }],
        RuleActionKind.DoNotEncrypt => text["DescDoNotEncrypt"],
        _ => text["DescNone"],
    };

    public string Kind(SensitiveInformationKind kind) => kind switch
    {
        SensitiveInformationKind.PaymentCard => text["KindPaymentCard"],
        SensitiveInformationKind.Iban => text["KindIban"],
        SensitiveInformationKind.DutchBsn => text["KindDutchBsn"],
        _ => kind.ToString(),
    };

    /// <summary>One reason of a match, e.g. "Subject contains: [secure]". Details name words and counts, never found values.</summary>
    public string Reason(ConditionMatch match)
    {
        var details = match.Condition == RuleConditionKind.SensitiveInformation
            ? match.Details.Select(LocaliseCount)
            : match.Details;
        return text["Why" + match.Condition, string.Join(", ", details)];
    }

    private string LocaliseCount(string detail)
    {
        var colon = detail.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Enum.TryParse<SensitiveInformationKind>(detail[..colon], out var kind) ? Kind(kind) + detail[colon..] : detail;
    }

    private void AddList(List<string> parts, string key, IReadOnlyList<string> values, bool quote = false)
    {
        if (values.Count > 0)
        {
            parts.Add(text[key, string.Join(text["DescOr"], values.Select(v => quote ? $"\u201C{v}\u201D" : v))]);
        }
    }
}
