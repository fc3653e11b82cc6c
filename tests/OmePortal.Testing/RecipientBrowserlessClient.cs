using System.Net;
using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Testing.Pages;

namespace OmePortal.Testing;

/// <summary>
/// A recipient without a browser: follows the real passcode flow over HTTP (link page, POST for a
/// passcode, the passcode mail from the outbox, the code page) and then keeps the session cookie.
/// </summary>
public sealed partial class RecipientBrowserlessClient : BrowserlessSession
{
    private readonly string _outboxDirectory;
    private readonly SmtpSink? _sink;

    private RecipientBrowserlessClient(PortalHost host)
        : this(host.BaseUrl, host.OutboxDirectory)
    {
    }

    /// <summary>For a portal running elsewhere (e.g. a separate process in a benchmark).</summary>
    public RecipientBrowserlessClient(string baseUrl, string outboxDirectory)
        : base(baseUrl)
    {
        _outboxDirectory = outboxDirectory;
    }

    /// <summary>For a portal that sends its mail to a smart host: passcodes are read from what <paramref name="sink"/> received.</summary>
    public RecipientBrowserlessClient(string baseUrl, SmtpSink sink)
        : base(baseUrl)
    {
        _outboxDirectory = "";
        _sink = sink;
    }

    /// <summary>Where the last sign-in redirected to (e.g. /messages/{id}).</summary>
    public string? LandedOn { get; private set; }

    public static RecipientBrowserlessClient Anonymous(PortalHost host) => new(host);

    /// <summary>Opens the link, asks for a passcode, reads it from the outbox and signs in.</summary>
    public static Task<RecipientBrowserlessClient> SignInFromLinkAsync(PortalHost host, string link) =>
        new RecipientBrowserlessClient(host).SignInFromLinkAsync(link);

    /// <summary>Opens the link, asks for a passcode, reads it from the outbox and signs this client in.</summary>
    public async Task<RecipientBrowserlessClient> SignInFromLinkAsync(string link)
    {
        var client = this;
        var path = new Uri(link).PathAndQuery;
        using var requested = await client.PostFormAsync(path, new Dictionary<string, string>(), handler: "Passcode");
        if (requested.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Asking for a passcode answered {(int)requested.StatusCode}.");
        }

        await client.EnterPasscodeAsync(requested.Headers.Location!.OriginalString);
        return client;
    }

    /// <summary>Signs in through /signin with an address (the inbox path).</summary>
    public static async Task<RecipientBrowserlessClient> SignInWithAddressAsync(PortalHost host, string address)
    {
        var client = new RecipientBrowserlessClient(host);
        using var requested = await client.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = address });
        if (requested.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Asking for a passcode answered {(int)requested.StatusCode}.");
        }

        await client.EnterPasscodeAsync(requested.Headers.Location!.OriginalString);
        return client;
    }

    private async Task EnterPasscodeAsync(string codePage)
    {
        var page = new PasscodePage(await GetPageAsync(codePage));
        var reference = page.ReferenceCode ?? throw new InvalidOperationException("The code page shows no reference code.");
        var code = await WaitForPasscodeAsync(reference);
        using var signedIn = await PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Entering the passcode answered {(int)signedIn.StatusCode}.");
        }

        LandedOn = signedIn.Headers.Location?.OriginalString;
    }

    /// <summary>Reads the passcode of the mail that carries <paramref name="reference"/> from the outbox.</summary>
    public async Task<string> WaitForPasscodeAsync(string reference, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (_sink?.Received.FirstOrDefault(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode" && m.TextBody?.Contains(reference, StringComparison.Ordinal) == true) is { } received)
            {
                return EightDigits().Match(received.TextBody!).Value;
            }

            if (_sink is null && Directory.Exists(_outboxDirectory))
            {
                foreach (var file in Directory.GetFiles(_outboxDirectory, "*.eml"))
                {
                    using var mail = await MimeMessage.LoadAsync(file);
                    if (mail.Headers["X-OmePortal-Mail-Kind"] == "passcode" && mail.TextBody?.Contains(reference, StringComparison.Ordinal) == true)
                    {
                        return EightDigits().Match(mail.TextBody).Value;
                    }
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No passcode mail with reference {reference} arrived.");
            }

            await Task.Delay(50);
        }
    }

    [GeneratedRegex("(?<!\\d)\\d{8}(?!\\d)")]
    private static partial Regex EightDigits();
}
