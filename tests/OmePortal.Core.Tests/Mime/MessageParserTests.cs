using System.Text;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using static OmePortal.Core.Tests.Mime.MimeTestData;

namespace OmePortal.Core.Tests.Mime;

public sealed class MessageParserTests
{
    public static TheoryData<string> Samples() => new(SampleNames);

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_Sample_Succeeds(string name)
    {
        var (parsed, stream) = ParseSample(name);
        using (stream)
        using (parsed.Message)
        {
            Assert.NotEmpty(parsed.Recipients);
            Assert.NotNull(parsed.SenderAddress);
            Assert.Equal(EmailHtmlSanitizer.PolicyVersion, parsed.RenderModel.PolicyVersion);
            Assert.False(string.IsNullOrEmpty(parsed.RenderModel.Subject));
        }
    }

    [Theory]
    [InlineData("01-dutch-policy-inline-logo-pdf.eml", "polis@contoso.test", "jan.devries@example.nl:To")]
    [InlineData("02-plain-latin9-card-number.eml", "afschriften@bank.contoso.test", "klant@example.nl:To")]
    [InlineData("03-forwarded-rfc822-cc.eml", "dr.jansen@contoso.test", "patient@example.org:To", "partner@example.org:Cc")]
    [InlineData("04-large-attachment-unicode-filename.eml", "advocaat@law.contoso.test", "bakker@lawfirm.example:To")]
    [InlineData("05-html-only-remote-images-tracking.eml", "noreply@bank.contoso.test", "alice@example.net:To")]
    [InlineData("06-reply-chain-calendar.eml", "bob@contoso.test", "alice@example.net:To", "carol@example.com:To")]
    [InlineData("07-bcc-recipient.eml", "secretary@contoso.test", "board@example.org:To", "auditor@example.net:Bcc")]
    [InlineData("08-rfc2231-filename-8bit.eml", "juergen@contoso.test", "eva@example.de:To")]
    public void Parse_Sample_FindsSenderAndRecipientsFromHeaders(string name, string sender, params string[] expected)
    {
        var (parsed, stream) = ParseSample(name);
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal(sender, parsed.SenderAddress);
            Assert.Equal(expected, parsed.Recipients.Select(r => $"{r.Address}:{r.Kind}").ToArray());
        }
    }

    [Fact]
    public void Parse_BccOnlyInEnvelope_AddsBccRecipient()
    {
        var (parsed, stream) = ParseSample("05-html-only-remote-images-tracking.eml", ["alice@example.net", "Hidden@Example.com"]);
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal(
                [new RecipientAddress("alice@example.net", RecipientKind.To), new RecipientAddress("hidden@example.com", RecipientKind.Bcc)],
                parsed.Recipients);
        }
    }

    [Fact]
    public void Parse_Envelope_IsTheRecipientListAndTakesKindsFromHeaders()
    {
        var (parsed, stream) = ParseSample("03-forwarded-rfc822-cc.eml", ["<PARTNER@example.org>", "other@example.com", "partner@example.org", "not an address"]);
        using (stream)
        using (parsed.Message)
        {
            // patient@example.org is in To but was not in the envelope (e.g. delivered by another route).
            Assert.Equal(
                [new RecipientAddress("partner@example.org", RecipientKind.Cc), new RecipientAddress("other@example.com", RecipientKind.Bcc)],
                parsed.Recipients);
        }
    }

    [Fact]
    public void Parse_GroupAddresses_AreFlattenedAndDuplicatesKeepTheFirstKind()
    {
        var parsed = ParseText(
            "From: a@contoso.test\r\nTo: Board: One <one@example.org>, two@example.org;, Three <THREE@example.org>\r\n" +
            "Cc: one@example.org, four@example.org\r\nBcc: four@example.org, five@example.org\r\nSubject: x\r\n\r\nbody\r\n");
        using (parsed.Message)
        {
            Assert.Equal(
                ["one@example.org:To", "two@example.org:To", "three@example.org:To", "four@example.org:Cc", "five@example.org:Bcc"],
                parsed.Recipients.Select(r => $"{r.Address}:{r.Kind}").ToArray());
        }
    }

    [Fact]
    public void Parse_InvalidAddressAmongValidOnes_IsSkipped()
    {
        var parsed = ParseText("From: a@contoso.test\r\nTo: broken@, ok@example.org, nodomain\r\nSubject: x\r\n\r\nbody\r\n");
        using (parsed.Message)
        {
            Assert.Equal([new RecipientAddress("ok@example.org", RecipientKind.To)], parsed.Recipients);
        }
    }

    [Fact]
    public void Parse_EmptyInput_IsNotAMessage()
    {
        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(new MemoryStream()));

        Assert.Equal(IngestError.NotAMessage, failed.Error);
        Assert.False(string.IsNullOrWhiteSpace(failed.Detail));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("hello\r\nFrom: x@example.org\r\n\r\nbody")]
    [InlineData("{\"to\":\"alice@example.net\",\"subject\":\"hi\",\"body\":\"hello\"}")]
    [InlineData("{\r\n  \"to\": \"alice@example.net\"\r\n}")]
    [InlineData("Content-Type: text/plain\r\n\r\njust a MIME entity, no mail headers")]
    public void Parse_TextThatIsNotAnEmail_IsNotAMessage(string input)
    {
        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(Stream(input)));

        Assert.Equal(IngestError.NotAMessage, failed.Error);
    }

    [Fact]
    public void Parse_GarbageBytes_IsNotAMessage()
    {
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0x00;
        bytes[1] = 0xFF;

        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(new MemoryStream(bytes)));

        Assert.Equal(IngestError.NotAMessage, failed.Error);
    }

    [Fact]
    public void Parse_HeaderBlockCutOffMidField_IsUnparseable()
    {
        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(Stream("From: a@contoso.test\r\nTo")));

        Assert.Equal(IngestError.Unparseable, failed.Error);
        Assert.StartsWith("The message could not be parsed", failed.Detail);
    }

    [Fact]
    public void Parse_HeadersButNoRecipients_IsNoRecipients()
    {
        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(Stream(
            "From: a@contoso.test\r\nSubject: nobody to send to\r\nDate: Sat, 28 Nov 2026 10:15:00 +0000\r\n\r\nbody\r\n")));

        Assert.Equal(IngestError.NoRecipients, failed.Error);
    }

    [Fact]
    public void Parse_OnlyInvalidAddresses_IsNoRecipients()
    {
        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(Stream(
            "From: a@contoso.test\r\nTo: not-an-address, also@bad, @nolocal.test, undisclosed-recipients:;\r\nCc: x@-bad-.test\r\nSubject: x\r\n\r\nbody\r\n")));

        Assert.Equal(IngestError.NoRecipients, failed.Error);
    }

    [Fact]
    public void Parse_OnlyInvalidEnvelopeAddresses_IsNoRecipients()
    {
        using var stream = new MemoryStream(Sample("07-bcc-recipient.eml"));

        var failed = Assert.IsType<ParseOutcome.Failed>(MessageParser.Parse(stream, ["nobody", "x@y"]));

        Assert.Equal(IngestError.NoRecipients, failed.Error);
    }

    [Fact]
    public void Parse_NonSeekableStream_IsRejected()
    {
        using var pipe = new NonSeekableStream(Sample("07-bcc-recipient.eml"));

        Assert.Throws<ArgumentException>(() => MessageParser.Parse(pipe));
    }

    [Fact]
    public void Parse_StreamPositionedAfterAPrefix_OffsetsAreRelativeToTheMessageAndPositionIsRestored()
    {
        var sample = Sample("01-dutch-policy-inline-logo-pdf.eml");
        var prefix = Encoding.ASCII.GetBytes("JUNK BEFORE THE MESSAGE\r\n");
        using var prefixed = new MemoryStream([.. prefix, .. sample]);
        prefixed.Position = prefix.Length;

        var parsed = Assert.IsType<ParseOutcome.Parsed>(MessageParser.Parse(prefixed));
        using var plain = new MemoryStream(sample);
        var reference = Assert.IsType<ParseOutcome.Parsed>(MessageParser.Parse(plain));

        Assert.Equal(prefix.Length, prefixed.Position);
        Assert.Equal(
            reference.RenderModel.Attachments.Select(a => (a.ContentOffset, a.ContentLength)),
            parsed.RenderModel.Attachments.Select(a => (a.ContentOffset, a.ContentLength)));
        parsed.Message.Dispose();
        reference.Message.Dispose();
    }

    [Fact]
    public void Parse_Cancelled_Throws()
    {
        using var stream = new MemoryStream(Sample("01-dutch-policy-inline-logo-pdf.eml"));

        Assert.ThrowsAny<OperationCanceledException>(() => MessageParser.Parse(stream, null, new CancellationToken(canceled: true)));
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
