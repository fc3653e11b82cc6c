using System.Globalization;
using System.Text;
using MimeKit;
using OmePortal.Core.Mime;
using OmePortal.Core.Replies;

namespace OmePortal.Core.Tests.Replies;

internal static class ReplyTestData
{
    public const string Replier = "bob@example.nl";

    public static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    public static OriginalMessage Original(
        string? subject = "Quarterly figures",
        IReadOnlyList<RenderAddress>? from = null,
        IReadOnlyList<RenderAddress>? replyTo = null,
        IReadOnlyList<RenderAddress>? to = null,
        IReadOnlyList<RenderAddress>? cc = null,
        string? messageId = "orig-1@contoso.test",
        IReadOnlyList<string>? references = null,
        string text = "Hello Bob,\nthe figures are attached.\n") =>
        new(
            subject,
            messageId,
            references ?? ["root-0@contoso.test"],
            from ?? [new RenderAddress("Alice Sender", "alice@contoso.test")],
            replyTo ?? [],
            to ?? [new RenderAddress("Bob", Replier), new RenderAddress(null, "carol@example.nl")],
            cc ?? [new RenderAddress("Dave", "dave@example.org")],
            new DateTimeOffset(2026, 11, 30, 14, 5, 0, TimeSpan.FromHours(1)),
            "alice@contoso.test",
            text);

    public static ReplyPlan Planned(OriginalMessage original, ReplyMode mode, string? forwardTo = null, string sender = Replier) =>
        Assert.IsType<ReplyPlanResult.Planned>(ReplyBuilder.Plan(original, mode, sender, forwardTo)).Plan;

    public static ReplyTexts Dutch { get; } = new(
        "Op {0} schreef {1}:", "{0} schreef:", "---------- Doorgestuurd bericht ----------",
        "Van", "Datum", "Onderwerp", "Aan", "Cc", CultureInfo.GetCultureInfo("nl"));

    /// <summary>Builds, serialises through <see cref="ReplyMime"/> and parses the bytes back, as intake would.</summary>
    public static MimeMessage RoundTrip(ReplyPlan plan, OriginalMessage original, string body, params ReplyAttachment[] attachments)
    {
        var message = ReplyBuilder.Build(plan, original, body, ReplyTexts.English, attachments, Now, "portal.example.test");
        using var stream = ReplyMime.Serialize(message);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return MimeMessage.Load(copy);
    }

    public static ReplyAttachment Attachment(string name, string content, string type = "text/plain") =>
        new(name, type, new MemoryStream(Encoding.UTF8.GetBytes(content)));

    public static readonly string[] AllowedTopHeaders =
    [
        "From", "To", "Cc", "Subject", "Date", "Message-Id", "In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    public static readonly string[] AllowedPartHeaders = ["Content-Type", "Content-Disposition", "Content-Transfer-Encoding"];

    /// <summary>No header other than the ones the builder writes, at the top or in any part.</summary>
    public static void AssertOnlyExpectedHeaders(MimeMessage parsed)
    {
        foreach (var header in parsed.Headers)
            Assert.Contains(header.Field, AllowedTopHeaders, StringComparer.OrdinalIgnoreCase);
        Assert.Empty(parsed.Bcc);
        Assert.Equal(1, parsed.Headers.Count(h => h.Id == HeaderId.From));
        Assert.Equal(1, parsed.Headers.Count(h => h.Id == HeaderId.Subject));
        foreach (var part in parsed.BodyParts)
        {
            foreach (var header in part.Headers)
                Assert.Contains(header.Field, AllowedPartHeaders, StringComparer.OrdinalIgnoreCase);
        }
    }
}
