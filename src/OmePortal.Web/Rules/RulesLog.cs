namespace OmePortal.Web.Rules;

/// <summary>Log lines of mail-flow rules (event ids 7001–7099): ids, rule names and outcomes, never addresses or content.</summary>
internal static partial class RulesLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "Mail-flow rule {RuleId} of tenant {TenantId} cannot be loaded; messages are encrypted with the tenant default until it is fixed.")]
    public static partial void BrokenRule(ILogger logger, Guid ruleId, Guid tenantId, Exception exception);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Mail-flow rule {RuleId} refers to a branding template that no longer exists; the default template is used.")]
    public static partial void MissingTemplate(ILogger logger, Guid ruleId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Message for tenant {TenantId} relayed unencrypted to the smart host ({Reason}), {Size} bytes, {RecipientCount} recipient(s).")]
    public static partial void Relayed(ILogger logger, Guid tenantId, string reason, long size, int recipientCount);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "No smart host is configured for relaying; a message of tenant {TenantId} that no rule encrypts is encrypted with the tenant default.")]
    public static partial void NoRelay(ILogger logger, Guid tenantId);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Relaying a message of tenant {TenantId} to the smart host failed; the sender is told to retry.")]
    public static partial void RelayFailed(ILogger logger, Guid tenantId, Exception exception);
}
