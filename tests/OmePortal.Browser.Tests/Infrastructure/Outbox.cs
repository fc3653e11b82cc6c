using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Reads the portal's pickup outbox (<see cref="PortalHost.OutboxDirectory"/>) the way a recipient
/// reads their mailbox: the notification mail gives the link, the passcode mail gives the code.
/// </summary>
public static partial class Outbox
{
    private const string KindHeader = "X-OmePortal-Mail-Kind";
    private const string MessageIdHeader = "X-OmePortal-Message-Id";

    /// <summary>
    /// Waits for a notification mail to <paramref name="address"/> (for <paramref name="messageId"/> when
    /// given, else one whose link is not in <paramref name="except"/>) and returns the link it carries.
    /// </summary>
    public static async Task<string> WaitForNotificationLinkAsync(
        PortalHost host, string address, Guid? messageId = null, IReadOnlyCollection<string>? except = null, TimeSpan? timeout = null)
    {
        var found = await WaitForAsync(host, timeout, "a notification mail to " + address, mail =>
        {
            if (mail.Headers[KindHeader] == "passcode" || !mail.To.Mailboxes.Any(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            if (messageId is { } id && !string.Equals(mail.Headers[MessageIdHeader], id.ToString(), StringComparison.OrdinalIgnoreCase)
                && !string.Equals(mail.Headers[MessageIdHeader], id.ToString("N"), StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var link = PortalLink().Match(mail.TextBody ?? string.Empty);
            return link.Success && link.Value.StartsWith(host.BaseUrl + "/m/", StringComparison.Ordinal) && except?.Contains(link.Value) != true
                ? link.Value
                : null;
        });
        return found;
    }

    /// <summary>
    /// Waits for the passcode mail that carries <paramref name="reference"/> (the reference code the code
    /// page shows) and returns its 8-digit code. The mail must be addressed to <paramref name="address"/>.
    /// </summary>
    public static Task<string> WaitForPasscodeAsync(PortalHost host, string address, string reference, TimeSpan? timeout = null) =>
        WaitForAsync(host, timeout, $"a passcode mail to {address} with reference {reference}", mail =>
        {
            if (mail.Headers[KindHeader] != "passcode"
                || !mail.To.Mailboxes.Any(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase))
                || mail.TextBody?.Contains(reference, StringComparison.Ordinal) != true)
            {
                return null;
            }

            var codes = EightDigits().Matches(mail.TextBody).Select(m => m.Value).Distinct().ToList();
            return codes.Count == 1
                ? codes[0]
                : throw new InvalidOperationException($"The passcode mail should carry exactly one 8-digit code, found {codes.Count}.");
        });

    /// <summary>Every mail in the outbox now (parsed), oldest file name first.</summary>
    public static async Task<IReadOnlyList<MimeMessage>> AllAsync(PortalHost host)
    {
        var mails = new List<MimeMessage>();
        if (!Directory.Exists(host.OutboxDirectory))
        {
            return mails;
        }

        foreach (var file in Directory.GetFiles(host.OutboxDirectory, "*.eml").Order(StringComparer.Ordinal))
        {
            if (await TryLoadAsync(file) is { } mail)
            {
                mails.Add(mail);
            }
        }

        return mails;
    }

    private static async Task<string> WaitForAsync(PortalHost host, TimeSpan? timeout, string what, Func<MimeMessage, string?> match)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            if (Directory.Exists(host.OutboxDirectory))
            {
                foreach (var file in Directory.GetFiles(host.OutboxDirectory, "*.eml"))
                {
                    if (seen.Contains(file) || await TryLoadAsync(file) is not { } mail)
                    {
                        continue;
                    }

                    using (mail)
                    {
                        if (match(mail) is { } value)
                        {
                            return value;
                        }
                    }

                    seen.Add(file);
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited in vain for {what} in {host.OutboxDirectory} ({seen.Count} other mail(s) there).");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<MimeMessage?> TryLoadAsync(string file)
    {
        try
        {
            return await MimeMessage.LoadAsync(file);
        }
        catch (IOException)
        {
            return null; // still being written: read it on the next round
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"https?://[^\s<>""]+/m/[A-Za-z0-9_-]{43}")]
    private static partial Regex PortalLink();

    [GeneratedRegex(@"(?<!\d)\d{8}(?!\d)")]
    private static partial Regex EightDigits();
}
