using System.Text.Json;
using System.Text.Json.Serialization;
using OmePortal.Core.Intake;

namespace OmePortal.Core.Rules;

/// <summary>The stored form of rule conditions and actions failed to load or did not validate.</summary>
public sealed class RuleFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Rule conditions and actions as JSON (enums by name, camelCase). Loading validates: a row that was
/// edited by hand or written by an older version either loads as a valid rule or throws
/// <see cref="RuleFormatException"/>; it never yields a half-understood rule.
/// </summary>
public static class RuleSerializer
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static string ToJson(RuleConditions conditions) => JsonSerializer.Serialize(conditions, Options);

    public static string ToJson(RuleAction action) => JsonSerializer.Serialize(action, Options);

    public static RuleConditions ConditionsFromJson(string json)
    {
        var conditions = Read<RuleConditions>(json);
        var errors = RuleValidator.Validate(conditions);
        return errors.Count == 0 ? conditions : throw new RuleFormatException("Stored rule conditions are invalid: " + string.Join(" ", errors.Select(e => e.Field)));
    }

    public static RuleAction ActionFromJson(string json)
    {
        var action = Read<RuleAction>(json);
        var errors = RuleValidator.Validate(action);
        return errors.Count == 0 ? action : throw new RuleFormatException("Stored rule action is invalid: " + string.Join(" ", errors.Select(e => e.Field)));
    }

    private static T Read<T>(string json)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new RuleFormatException("Stored rule JSON is null.");
        }
        catch (JsonException ex)
        {
            throw new RuleFormatException("Stored rule JSON could not be read.", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new RuleFormatException("Stored rule JSON could not be read.", ex);
        }
    }
}

/// <summary>One validation problem: the field (a stable key the admin page localises) and the limit it broke.</summary>
public sealed record RuleError(string Field, RuleErrorKind Kind, int Limit = 0);

public enum RuleErrorKind
{
    Required,
    TooLong,
    TooMany,
    Invalid,
    OutOfRange,
}

/// <summary>Limits of a rule, so that one rule cannot make evaluation slow or the page unusable.</summary>
public static class RuleValidator
{
    public const int MaxNameLength = 100;
    public const int MaxEntries = 100;
    public const int MaxEntryLength = 200;
    public const int MaxMinimumCount = 1000;
    public const int MaxExpiryDays = 730;

    public static IReadOnlyList<RuleError> Validate(string name, RuleConditions conditions, RuleAction action)
    {
        var errors = new List<RuleError>();
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(new RuleError("Name", RuleErrorKind.Required));
        }
        else if (name.Length > MaxNameLength)
        {
            errors.Add(new RuleError("Name", RuleErrorKind.TooLong, MaxNameLength));
        }

        errors.AddRange(Validate(conditions));
        errors.AddRange(Validate(action));
        return errors;
    }

    public static IReadOnlyList<RuleError> Validate(RuleConditions conditions)
    {
        var errors = new List<RuleError>();
        List(errors, nameof(RuleConditions.RecipientDomains), conditions.RecipientDomains, IsDomain);
        List(errors, nameof(RuleConditions.Senders), conditions.Senders, e => e.Contains('@', StringComparison.Ordinal) ? Mime.AddressNormalizer.IsValid(e) : IsDomain(e));
        List(errors, nameof(RuleConditions.SubjectWords), conditions.SubjectWords, _ => true);
        List(errors, nameof(RuleConditions.SubjectOrBodyWords), conditions.SubjectOrBodyWords, _ => true);
        List(errors, nameof(RuleConditions.AttachmentTypes), conditions.AttachmentTypes, IsAttachmentType);
        if (conditions.SensitiveInformation is null)
        {
            errors.Add(new RuleError(nameof(RuleConditions.SensitiveInformation), RuleErrorKind.Invalid));
        }
        else
        {
            foreach (var condition in conditions.SensitiveInformation)
            {
                if (condition is null || !Enum.IsDefined(condition.Kind))
                {
                    errors.Add(new RuleError(nameof(RuleConditions.SensitiveInformation), RuleErrorKind.Invalid));
                }
                else if (condition.MinimumCount is < 1 or > MaxMinimumCount)
                {
                    errors.Add(new RuleError(nameof(RuleConditions.SensitiveInformation), RuleErrorKind.OutOfRange, MaxMinimumCount));
                }
            }

            if (conditions.SensitiveInformation.Where(c => c is not null).GroupBy(c => c.Kind).Any(g => g.Count() > 1))
            {
                errors.Add(new RuleError(nameof(RuleConditions.SensitiveInformation), RuleErrorKind.Invalid));
            }
        }

        return errors;
    }

    public static IReadOnlyList<RuleError> Validate(RuleAction action)
    {
        var errors = new List<RuleError>();
        if (!Enum.IsDefined(action.Kind))
        {
            errors.Add(new RuleError("Action", RuleErrorKind.Invalid));
        }

        if (!Enum.IsDefined(action.Protection))
        {
            errors.Add(new RuleError("Protection", RuleErrorKind.Invalid));
        }

        if (action.ExpiryDays is < 0 or > MaxExpiryDays)
        {
            errors.Add(new RuleError("ExpiryDays", RuleErrorKind.OutOfRange, MaxExpiryDays));
        }

        if (!Enum.IsDefined(action.Delivery))
        {
            errors.Add(new RuleError("Delivery", RuleErrorKind.Invalid));
        }

        if (action.Kind != RuleActionKind.Encrypt && (action.TemplateId is not null || action.ExpiryDays is not null || action.Protection != ProtectionLevel.EncryptOnly
            || action.Delivery != OmePortal.Core.EndToEnd.DeliveryPreference.Portal || action.EndToEndForDoNotForward))
        {
            errors.Add(new RuleError("Action", RuleErrorKind.Invalid));
        }

        return errors;
    }

    public static bool IsDomain(string entry)
    {
        var domain = Domains.Normalize(entry);
        return domain.Length is > 0 and <= 253
            && domain.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c > 127));
    }

    private static bool IsAttachmentType(string entry)
    {
        var type = entry.Trim();
        return type.Length > 0 && type.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/' or '*' or '-' or '+' or '_')
            && type.Count(c => c == '/') <= 1;
    }

    private static void List(List<RuleError> errors, string field, IReadOnlyList<string>? entries, Func<string, bool> isValid)
    {
        if (entries is null)
        {
            errors.Add(new RuleError(field, RuleErrorKind.Invalid));
            return;
        }

        if (entries.Count > MaxEntries)
        {
            errors.Add(new RuleError(field, RuleErrorKind.TooMany, MaxEntries));
        }

        if (entries.Any(e => e is null || e.Length > MaxEntryLength))
        {
            errors.Add(new RuleError(field, RuleErrorKind.TooLong, MaxEntryLength));
        }
        else if (entries.Any(e => string.IsNullOrWhiteSpace(e) || !isValid(e)))
        {
            errors.Add(new RuleError(field, RuleErrorKind.Invalid));
        }
    }
}
