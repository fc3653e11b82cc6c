using System.Diagnostics;
using System.Text;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;

namespace OmePortal.Core.Tests.Mime;

/// <summary>
/// Messages built to cost a parser far more than their size are refused quickly, with a reason naming the limit,
/// and without building their object tree (measured as bytes allocated by the parse).
/// </summary>
public sealed class MessageLimitsTests
{
    /// <summary>Far above what the refused inputs would cost to parse whole (tens to hundreds of MiB).</summary>
    private const long MaxAllocatedBytes = 48L * 1024 * 1024;

    [Fact]
    public void Parse_TenThousandRecipientsInHeaders_FailsWithTooManyRecipients()
    {
        var to = string.Join(", ", Enumerable.Range(0, 10_000).Select(i => $"r{i}@example.net"));
        var failed = ParseExpectingFailure($"From: a@contoso.test\r\nTo: {to}\r\nSubject: many\r\n\r\nBody\r\n", MimeLimits.Default);

        Assert.Equal(IngestError.TooManyRecipients, failed.Error);
        Assert.Contains("more than 100 recipients", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EnvelopeOverTheLimit_FailsWithTooManyRecipients()
    {
        var envelope = Enumerable.Range(0, 4).Select(i => $"r{i}@example.net").ToList();
        using var stream = MimeTestData.Stream("From: a@contoso.test\r\nTo: r0@example.net\r\nSubject: s\r\n\r\nBody\r\n");

        var outcome = MessageParser.Parse(stream, envelope, new MimeLimits(3, 100, 100));

        var failed = Assert.IsType<ParseOutcome.Failed>(outcome);
        Assert.Equal(IngestError.TooManyRecipients, failed.Error);
        Assert.Contains("more than 3 recipients", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FiftyThousandMimeParts_FailsAsTooComplex()
    {
        var body = new StringBuilder("From: a@contoso.test\r\nTo: b@example.net\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
        for (var i = 0; i < 50_000; i++)
        {
            body.Append("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }

        body.Append("--b--\r\n");
        var failed = ParseExpectingFailure(body.ToString(), MimeLimits.Default);

        Assert.Equal(IngestError.TooComplex, failed.Error);
        Assert.Contains("more than 1000 MIME parts", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HundredThousandHeaderLines_FailsAsTooComplex()
    {
        var headers = new StringBuilder("From: a@contoso.test\r\nTo: b@example.net\r\nSubject: headers\r\n");
        for (var i = 0; i < 100_000; i++)
        {
            headers.Append("X-Filler: ").Append(i).Append("\r\n");
        }

        var failed = ParseExpectingFailure(headers.Append("\r\nBody\r\n").ToString(), MimeLimits.Default);

        Assert.Equal(IngestError.TooComplex, failed.Error);
        Assert.Contains("more than 10000 header lines", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OneHeaderFoldedOverHundredThousandLines_FailsAsTooComplex()
    {
        var folded = string.Concat(Enumerable.Repeat("\r\n word", 100_000));
        // MimeKit reads one header whole before it reports it, so this shape costs allocations in proportion to the
        // header (not a tree): bounded by the message size limit, and still refused in one pass.
        var failed = ParseExpectingFailure($"From: a@contoso.test\r\nTo: b@example.net\r\nSubject: start{folded}\r\n\r\nBody\r\n", MimeLimits.Default, 128L * 1024 * 1024);

        Assert.Equal(IngestError.TooComplex, failed.Error);
        Assert.Contains("header lines", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AtEveryLimit_Succeeds()
    {
        var to = string.Join(", ", Enumerable.Range(0, 3).Select(i => $"r{i}@example.net"));
        var mime = $"From: a@contoso.test\r\nTo: {to}\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n";
        using var stream = MimeTestData.Stream(mime);

        // 3 recipients; 3 entities (the multipart and two parts); 7 header lines in all.
        var outcome = MessageParser.Parse(stream, null, new MimeLimits(3, 3, 100));

        var parsed = Assert.IsType<ParseOutcome.Parsed>(outcome);
        using (parsed.Message)
        {
            Assert.Equal(3, parsed.Recipients.Count);
        }

        stream.Position = 0;
        Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(stream, null, new MimeLimits(2, 3, 100)));
        stream.Position = 0;
        Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(stream, null, new MimeLimits(3, 2, 100)));
        stream.Position = 0;
        Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(stream, null, new MimeLimits(3, 3, 4)));
    }

    [Fact]
    public void CheckStructure_RestoresThePosition_AndPassesAnOrdinaryMessage()
    {
        using var stream = MimeTestData.Stream("From: a@contoso.test\r\nTo: b@example.net\r\nSubject: s\r\n\r\nBody\r\n");
        stream.Position = 0;
        Assert.Null(MessageParser.CheckStructure(stream, MimeLimits.Default));
        Assert.Equal(0, stream.Position);
    }

    private static ParseOutcome.Failed ParseExpectingFailure(string mime, MimeLimits limits, long maxAllocatedBytes = MaxAllocatedBytes)
    {
        using var stream = MimeTestData.Stream(mime);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();

        var outcome = MessageParser.Parse(stream, null, limits);

        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var failed = Assert.IsType<ParseOutcome.Failed>(outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Refusing took {clock.Elapsed}.");
        Assert.True(allocated < maxAllocatedBytes, $"The parse allocated {allocated / 1024} KiB before refusing.");
        return failed;
    }
}
