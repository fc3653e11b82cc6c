using System.Net;
using System.Text;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpResponse = SmtpServer.Protocol.SmtpResponse;

namespace OmePortal.Web.Smtp;

/// <summary>What the gateway knows about one SMTP session, kept in the session's property bag.</summary>
internal sealed class SmtpSessionState
{
    private const string Key = "OmePortal.Smtp.Session";

    /// <summary>Set by a successful AUTH: the tenant of the API key.</summary>
    public Guid? AuthenticatedTenant { get; set; }

    /// <summary>Set by a successful AUTH: the SHA-256 of the API key (never the key), looked up again at each MAIL FROM.</summary>
    public byte[]? AuthenticatedKeyHash { get; set; }

    /// <summary>The session's span (null while nothing records traces); each message is a child of it.</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>Recipients accepted in the current transaction.</summary>
    public int RecipientCount { get; set; }

    /// <summary>Set by an accepted MAIL FROM: the tenant that owns this transaction and its size limit.</summary>
    public Guid? TransactionTenant { get; private set; }

    public long TransactionLimit { get; private set; }

    public void BeginTransaction(Guid tenantId, long limit)
    {
        TransactionTenant = tenantId;
        TransactionLimit = limit;
        RecipientCount = 0;
    }

    public void ResetTransaction()
    {
        TransactionTenant = null;
        TransactionLimit = 0;
        RecipientCount = 0;
    }

    public static SmtpSessionState Get(ISessionContext context)
    {
        lock (context.Properties)
        {
            if (context.Properties.TryGetValue(Key, out var value) && value is SmtpSessionState state)
            {
                return state;
            }

            state = new SmtpSessionState();
            context.Properties[Key] = state;
            return state;
        }
    }

    public static IPAddress? RemoteAddress(ISessionContext context) =>
        context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var value) && value is IPEndPoint endpoint
            ? endpoint.Address
            : null;
}

internal static class SmtpReplies
{
    public static SmtpResponse Accepted(Guid messageId) => new(SmtpReplyCode.Ok, $"2.0.0 Ok: stored as {messageId:N}");

    public static readonly SmtpResponse Relayed = new(SmtpReplyCode.Ok, "2.0.0 Ok: relayed");

    public static readonly SmtpResponse RelayFailed = new(SmtpReplyCode.Aborted, "4.4.1 The relay host did not accept the message, please try again later");

    public static readonly SmtpResponse TemporaryFailure = new(SmtpReplyCode.Aborted, "4.3.0 Temporary failure, please try again later");

    public static readonly SmtpResponse NotConfigured = new(SmtpReplyCode.Aborted, "4.3.5 The gateway cannot accept mail for this connector right now");

    public static readonly SmtpResponse ShuttingDown = new(SmtpReplyCode.ServiceUnavailable, "4.3.2 Service shutting down, please try again later");

    public static readonly SmtpResponse AuthenticationRequired = new(SmtpReplyCode.AuthenticationRequired, "5.7.0 Authentication required");

    public static readonly SmtpResponse TlsRequired = new(SmtpReplyCode.AuthenticationRequired, "5.7.0 Must issue a STARTTLS command first");

    public static readonly SmtpResponse AuthenticationUnavailable = new(SmtpReplyCode.ClientNotPermitted, "4.7.0 Temporary authentication failure");

    public static readonly SmtpResponse NoTransaction = new(SmtpReplyCode.BadSequence, "5.5.1 Bad sequence of commands");

    public static readonly SmtpResponse KeyRevoked = new(SmtpReplyCode.AuthenticationRequired, "5.7.0 Authentication required: the API key of this session has been revoked");

    public static readonly SmtpResponse AuthenticationThrottled =
        new(SmtpReplyCode.ServiceUnavailable, "4.7.0 Too many failed authentication attempts from your address, try again later");

    /// <summary>452 4.5.3 (RFC 5321 §4.5.3.1.10): the client should send the rest in another transaction.</summary>
    public static SmtpResponse TooManyRecipients(int limit) =>
        new((SmtpReplyCode)452, $"4.5.3 Too many recipients: at most {limit} per message");

    public static SmtpResponse TooLarge(long limit) =>
        new(SmtpReplyCode.SizeLimitExceeded, $"5.3.4 Message size exceeds the limit of {limit} bytes");

    public static SmtpResponse Rejected(SmtpReplyCode code, string enhancedCode, string detail) =>
        new(code, $"{enhancedCode} {Sanitize(detail)}");

    public static SmtpResponseException Refuse(SmtpResponse response) => new(response);

    /// <summary>A reply line must be short printable ASCII: no CR/LF a client could take for another reply.</summary>
    public static string Sanitize(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (builder.Length >= 200)
            {
                break;
            }

            builder.Append(c is >= ' ' and <= '~' ? c : c is '\r' or '\n' or '\t' ? ' ' : '?');
        }

        var result = builder.ToString().Trim();
        return result.Length == 0 ? "Message rejected" : result;
    }

    /// <summary>RFC 5321 path as text; null for the null reverse-path &lt;&gt;.</summary>
    public static string? AsAddress(IMailbox? mailbox)
    {
        if (mailbox is null || string.IsNullOrEmpty(mailbox.User))
        {
            return null;
        }

        return string.IsNullOrEmpty(mailbox.Host) ? mailbox.User : $"{mailbox.User}@{mailbox.Host}";
    }
}
