using MimeKit;
using OmePortal.Core.Mime;
using OmePortal.Core.Replies;
using static OmePortal.Core.Tests.Replies.ReplyTestData;

namespace OmePortal.Core.Tests.Replies;

public sealed class ReplyBuilderTests
{
    [Fact]
    public void Plan_Reply_IsToTheOriginalSenderOnly()
    {
        var plan = Planned(Original(), ReplyMode.Reply);
        Assert.Equal(["alice@contoso.test"], plan.To.Select(a => a.Address));
        Assert.Equal("Alice Sender", plan.To[0].Name);
        Assert.Empty(plan.Cc);
        Assert.Equal(["alice@contoso.test"], plan.Recipients);
    }

    [Fact]
    public void Plan_Reply_UsesReplyToWhenPresent()
    {
        var plan = Planned(Original(replyTo: [new RenderAddress(null, "Replies@Contoso.test")]), ReplyMode.Reply);
        Assert.Equal(["replies@contoso.test"], plan.To.Select(a => a.Address));
    }

    [Fact]
    public void Plan_Reply_ToOwnMessage_AnswersItsRecipients()
    {
        var original = Original(from: [new RenderAddress(null, Replier)], to: [new RenderAddress(null, "carol@example.nl")]);
        var plan = Planned(original, ReplyMode.Reply);
        Assert.Equal(["carol@example.nl"], plan.To.Select(a => a.Address));
    }

    [Fact]
    public void Plan_Reply_WithoutFromHeader_UsesStoredSender()
    {
        var plan = Planned(Original(from: []), ReplyMode.Reply);
        Assert.Equal(["alice@contoso.test"], plan.To.Select(a => a.Address));
    }

    [Fact]
    public void Plan_ReplyAll_IsSenderToAndCcMinusReplierWithoutDuplicates()
    {
        var original = Original(
            to: [new RenderAddress("Bob", "BOB@example.nl"), new RenderAddress(null, "carol@example.nl"), new RenderAddress(null, "Alice@contoso.test")],
            cc: [new RenderAddress("Dave", "dave@example.org"), new RenderAddress(null, "carol@example.nl"), new RenderAddress(null, "bob@example.nl")]);
        var plan = Planned(original, ReplyMode.ReplyAll);

        Assert.Equal(["alice@contoso.test", "carol@example.nl"], plan.To.Select(a => a.Address));
        Assert.Equal(["dave@example.org"], plan.Cc.Select(a => a.Address));
        Assert.DoesNotContain(Replier, plan.Recipients);
        Assert.Equal(3, plan.Recipients.Count);
    }

    [Fact]
    public void Plan_ReplyAll_SkipsUnusableOriginalAddresses()
    {
        var original = Original(to: [new RenderAddress(null, "not an address"), new RenderAddress(null, "eve@example.nl\r\nBcc: x@evil.test")], cc: []);
        var plan = Planned(original, ReplyMode.ReplyAll);
        Assert.Equal(["alice@contoso.test"], plan.Recipients);
    }

    [Fact]
    public void Plan_Forward_UsesTypedAddressesOnly()
    {
        var plan = Planned(Original(), ReplyMode.Forward, " Erin <erin@example.com>; frank@example.com, ERIN@example.com ");
        Assert.Equal(["erin@example.com", "frank@example.com"], plan.To.Select(a => a.Address));
        Assert.All(plan.To, a => Assert.Null(a.Name));
        Assert.Empty(plan.Cc);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ; ")]
    public void Plan_Forward_WithoutAddresses_IsRefused(string? typed)
    {
        var result = Assert.IsType<ReplyPlanResult.Invalid>(ReplyBuilder.Plan(Original(), ReplyMode.Forward, Replier, typed));
        Assert.Equal(ReplyPlanError.NoRecipients, result.Error);
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("erin@localhost")]
    [InlineData("erin@example.com\r\nBcc: evil@evil.test")]
    [InlineData("erin@example.com\nBcc: evil@evil.test")]
    [InlineData("erin@example.com\rX-Injected: 1")]
    [InlineData("erin@example.com\u0000")]
    [InlineData("\"erin\r\n\"@example.com")]
    [InlineData("Erin\r\n <erin@example.com>")]
    [InlineData("erin@example.com\u0085Bcc: evil@evil.test")]
    [InlineData("erin@example.com\u2028Bcc: evil@evil.test")]
    [InlineData("<@relay.test:erin@example.com>")]
    [InlineData("group: erin@example.com")]
    [InlineData("erin@[192.0.2.1]")]
    public void Plan_Forward_InvalidOrInjectedAddress_IsRefused(string typed)
    {
        var result = Assert.IsType<ReplyPlanResult.Invalid>(ReplyBuilder.Plan(Original(), ReplyMode.Forward, Replier, typed));
        Assert.Equal(ReplyPlanError.InvalidAddress, result.Error);
        Assert.DoesNotContain('\r', result.Value!);
        Assert.DoesNotContain('\n', result.Value!);
    }

    [Fact]
    public void Plan_Forward_TooManyAddresses_IsRefused()
    {
        var typed = string.Join(",", Enumerable.Range(0, 21).Select(i => $"r{i}@example.com"));
        var result = Assert.IsType<ReplyPlanResult.Invalid>(ReplyBuilder.Plan(Original(), ReplyMode.Forward, Replier, typed, maxForwardRecipients: 20));
        Assert.Equal(ReplyPlanError.TooManyRecipients, result.Error);
    }

    [Theory]
    [InlineData(ReplyMode.Reply)]
    [InlineData(ReplyMode.ReplyAll)]
    public void Plan_ReplyModes_IgnoreTypedAddresses(ReplyMode mode)
    {
        var plan = Planned(Original(), mode, forwardTo: "mallory@evil.test");
        Assert.DoesNotContain("mallory@evil.test", plan.Recipients);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not an address")]
    [InlineData("bob@example.nl\r\nBcc: evil@evil.test")]
    public void Plan_InvalidVerifiedSender_IsRefused(string sender)
    {
        var result = Assert.IsType<ReplyPlanResult.Invalid>(ReplyBuilder.Plan(Original(), ReplyMode.Reply, sender));
        Assert.Equal(ReplyPlanError.InvalidSender, result.Error);
    }

    [Theory]
    [InlineData(ReplyMode.Reply, "Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "Re: Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "RE: re:Re: Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "Fwd: Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "AW: Antw: Doorst: Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "Re[3]: Quarterly figures", "Re: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "Regarding figures", "Re: Regarding figures")]
    [InlineData(ReplyMode.Reply, null, "Re:")]
    [InlineData(ReplyMode.ReplyAll, "Re: Re: x", "Re: x")]
    [InlineData(ReplyMode.Forward, "Re: Quarterly figures", "Fwd: Quarterly figures")]
    [InlineData(ReplyMode.Forward, "Fwd: FW: Quarterly figures", "Fwd: Quarterly figures")]
    [InlineData(ReplyMode.Reply, "Figures\r\nBcc: evil@evil.test", "Re: Figures Bcc: evil@evil.test")]
    public void Plan_Subject_IsPrefixedOnce(ReplyMode mode, string? subject, string expected)
    {
        var plan = Planned(Original(subject: subject), mode, mode == ReplyMode.Forward ? "erin@example.com" : null);
        Assert.Equal(expected, plan.Subject);
    }

    [Fact]
    public void Plan_Threading_InReplyToAndReferencesEndWithTheOriginal()
    {
        var plan = Planned(Original(references: ["a@x.test", "b@x.test"]), ReplyMode.Reply);
        Assert.Equal("orig-1@contoso.test", plan.InReplyTo);
        Assert.Equal(["a@x.test", "b@x.test", "orig-1@contoso.test"], plan.References);
    }

    [Fact]
    public void Plan_Threading_UnsafeIdsAreDroppedAndReferencesCapped()
    {
        var many = Enumerable.Range(0, 30).Select(i => $"r{i}@x.test").Append("bad\r\nBcc: x@evil.test").Append("with space@x").ToList();
        var plan = Planned(Original(references: many, messageId: "m\r\nX-Injected: 1"), ReplyMode.Reply);
        Assert.Null(plan.InReplyTo);
        Assert.Equal(HeaderText.MaxReferences, plan.References.Count);
        Assert.Equal("r0@x.test", plan.References[0]);
        Assert.Equal("r29@x.test", plan.References[^1]);
        Assert.All(plan.References, r => Assert.True(HeaderText.IsSafeMessageId(r)));
    }

    [Fact]
    public void Build_Reply_HasFromToSubjectThreadingAndNewMessageId()
    {
        var original = Original();
        var parsed = RoundTrip(Planned(original, ReplyMode.ReplyAll), original, "Thanks!");

        var from = Assert.Single(parsed.From.Mailboxes);
        Assert.Equal(Replier, from.Address);
        Assert.Equal("Bob", from.Name);
        Assert.Equal(["alice@contoso.test", "carol@example.nl"], parsed.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["dave@example.org"], parsed.Cc.Mailboxes.Select(m => m.Address));
        Assert.Equal("Re: Quarterly figures", parsed.Subject);
        Assert.Equal("orig-1@contoso.test", parsed.InReplyTo);
        Assert.Equal(["root-0@contoso.test", "orig-1@contoso.test"], parsed.References);
        Assert.EndsWith("@portal.example.test", parsed.MessageId, StringComparison.Ordinal);
        Assert.NotEqual("orig-1@contoso.test", parsed.MessageId);
        Assert.Equal(Now, parsed.Date);
        AssertOnlyExpectedHeaders(parsed);
    }

    [Fact]
    public void Build_TwoReplies_HaveDifferentMessageIds()
    {
        var original = Original();
        var plan = Planned(original, ReplyMode.Reply);
        var a = ReplyBuilder.Build(plan, original, "a", ReplyTexts.English, [], Now, "portal.example.test");
        var b = ReplyBuilder.Build(plan, original, "b", ReplyTexts.English, [], Now, "portal.example.test");
        Assert.NotEqual(a.MessageId, b.MessageId);
    }

    [Fact]
    public void Build_From_IsAlwaysThePlannedVerifiedSender()
    {
        // Nothing typed can reach From: the body and the forward field say otherwise, From does not.
        var original = Original();
        var plan = Planned(original, ReplyMode.Forward, "erin@example.com", sender: "Bob@Example.NL");
        var parsed = RoundTrip(plan, original, "From: ceo@contoso.test\r\nSender: ceo@contoso.test\r\n");
        Assert.Equal([Replier], parsed.From.Mailboxes.Select(m => m.Address));
        Assert.Null(parsed.Sender);
        AssertOnlyExpectedHeaders(parsed);
    }

    [Fact]
    public void Build_Reply_QuotesTheOriginalBelowTheText()
    {
        var original = Original();
        var parsed = RoundTrip(Planned(original, ReplyMode.Reply), original, "Thanks, Alice.");
        var text = parsed.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.StartsWith("Thanks, Alice.\n\nOn ", text, StringComparison.Ordinal);
        Assert.Contains("Alice Sender <alice@contoso.test> wrote:\n> Hello Bob,\n> the figures are attached.\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeText_Reply_InDutch_UsesTheGivenWords()
    {
        var text = ReplyBuilder.ComposeText(ReplyMode.Reply, "Dank je.", Original(), Dutch);
        Assert.Contains("Op maandag 30 november 2026 13:05 UTC schreef Alice Sender <alice@contoso.test>:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeText_Forward_IncludesTheOriginalHeadersAndText()
    {
        var text = ReplyBuilder.ComposeText(ReplyMode.Forward, "FYI", Original(), ReplyTexts.English);
        Assert.StartsWith("FYI\n\n---------- Forwarded message ----------\nFrom: Alice Sender <alice@contoso.test>\n", text, StringComparison.Ordinal);
        Assert.Contains("Subject: Quarterly figures\nTo: Bob <bob@example.nl>, carol@example.nl\nCc: Dave <dave@example.org>\n\nHello Bob,", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeText_HtmlOnlyOriginal_QuotesItAsText()
    {
        var original = OriginalMessage.FromRenderModel(
            new RenderModel { HtmlBody = "<div class=\"ome-part\"><p>First</p><p>Second<br>line</p></div>", From = [new RenderAddress(null, "a@contoso.test")] },
            "a@contoso.test");
        var text = ReplyBuilder.ComposeText(ReplyMode.Reply, "ok", original, ReplyTexts.English);
        Assert.Contains("> First\n>\n> Second\n> line\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_BodyWithHeaderLikeLines_StaysInTheBody()
    {
        var original = Original();
        var body = "\r\nBcc: evil@evil.test\r\nX-Injected: 1\r\n\r\n--boundary\r\nContent-Type: text/html\r\n\r\n<script>x</script>\r\n.\r\n\u0000\u001b[31m";
        var parsed = RoundTrip(Planned(original, ReplyMode.Reply), original, body);

        AssertOnlyExpectedHeaders(parsed);
        Assert.IsType<TextPart>(parsed.Body);
        var text = parsed.TextBody!;
        Assert.Contains("Bcc: evil@evil.test", text, StringComparison.Ordinal);
        Assert.Contains("--boundary", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0000', text);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void Build_OriginalNamesAndSubjectWithLineBreaks_StayOnOneLine()
    {
        var original = Original(
            subject: "Figures\r\nBcc: evil@evil.test\r\nX-Injected: 1",
            from: [new RenderAddress("Alice\r\nBcc: evil@evil.test", "alice@contoso.test")],
            to: [new RenderAddress("Bob\nX-Injected: 1", Replier), new RenderAddress("Carol\u2028Bcc: x@evil.test", "carol@example.nl")]);
        var parsed = RoundTrip(Planned(original, ReplyMode.ReplyAll), original, "ok");

        AssertOnlyExpectedHeaders(parsed);
        Assert.Equal("Re: Figures Bcc: evil@evil.test X-Injected: 1", parsed.Subject);
        Assert.Equal("Alice Bcc: evil@evil.test", parsed.To.Mailboxes.First().Name);
        Assert.Equal("Bob X-Injected: 1", parsed.From.Mailboxes.Single().Name);
    }

    [Theory]
    [InlineData("report.pdf\r\nBcc: evil@evil.test", "report.pdfBcc: evil@evil.test")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Users\\bob\\secret.docx", "secret.docx")]
    [InlineData("invoice\u202Efdp.exe", "invoicefdp.exe")]
    [InlineData("\r\n", "attachment-1")]
    [InlineData("...", "attachment-1")]
    [InlineData("naïve résumé.txt", "naïve résumé.txt")]
    public void Build_AttachmentFileNames_AreCleaned(string name, string expected)
    {
        var original = Original();
        var parsed = RoundTrip(Planned(original, ReplyMode.Reply), original, "see attached", Attachment(name, "data"));

        AssertOnlyExpectedHeaders(parsed);
        var attachment = Assert.IsAssignableFrom<MimePart>(Assert.Single(parsed.Attachments));
        Assert.Equal(expected, attachment.FileName);
    }

    [Theory]
    [InlineData("text/plain\r\nBcc: evil@evil.test", "application/octet-stream")]
    [InlineData("text/plain; charset=\"x\"", "application/octet-stream")]
    [InlineData("message/rfc822", "application/octet-stream")]
    [InlineData("multipart/mixed", "application/octet-stream")]
    [InlineData("Application/PDF", "application/pdf")]
    public void Build_AttachmentContentTypes_AreTokensOnly(string type, string expected)
    {
        var original = Original();
        var parsed = RoundTrip(Planned(original, ReplyMode.Reply), original, "x", Attachment("a.bin", "data", type));
        AssertOnlyExpectedHeaders(parsed);
        Assert.Equal(expected, Assert.Single(parsed.Attachments).ContentType.MimeType);
    }

    [Fact]
    public void Build_Attachments_RoundTripTheirContent()
    {
        var original = Original();
        var raw = new byte[70_001];
        new Random(7).NextBytes(raw);
        using var encoded = new EncodedAttachment();
        encoded.Write(raw);
        var parsed = RoundTrip(
            Planned(original, ReplyMode.Reply), original, "two files",
            new ReplyAttachment("random.bin", "application/octet-stream", encoded.Complete(), ContentIsBase64: true),
            Attachment("note.txt", "plain words"));

        var parts = parsed.Attachments.OfType<MimePart>().ToList();
        Assert.Equal(["random.bin", "note.txt"], parts.Select(p => p.FileName));
        using var decoded = new MemoryStream();
        parts[0].Content!.DecodeTo(decoded);
        Assert.Equal(raw, decoded.ToArray());
        using var note = new MemoryStream();
        parts[1].Content!.DecodeTo(note);
        Assert.Equal("plain words", System.Text.Encoding.UTF8.GetString(note.ToArray()));
    }
}
