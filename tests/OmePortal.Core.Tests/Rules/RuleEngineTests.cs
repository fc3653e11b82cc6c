using System.Text;
using MimeKit;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;

namespace OmePortal.Core.Tests.Rules;

public sealed class RuleEngineTests
{
    private static readonly string[] OwnDomains = ["contoso.test"];

    private static MailFlowRule Rule(string name, int priority, RuleConditions conditions, RuleAction action, bool stop = false, bool enabled = true) =>
        new(Guid.NewGuid(), name, priority, enabled, conditions, action, stop);

    private static RuleMessage Message(string subject = "Hello", string body = "Nothing special.", string sender = "alice@contoso.test",
        string[]? recipients = null, RuleAttachment[]? attachments = null) =>
        new(sender, recipients ?? ["bob@contoso.test"], subject, body, attachments ?? []);

    private static readonly RuleConditions SecureSubject = new() { SubjectWords = ["[secure]"] };

    [Fact]
    public void Evaluate_NoRules_NoRuleMatched()
    {
        var result = RuleEngine.Evaluate([], Message(), OwnDomains);
        Assert.IsType<RuleDecision.NoRuleMatched>(result.Decision);
        Assert.Empty(result.Matches);
    }

    [Fact]
    public void Evaluate_SubjectWord_EncryptsWithTheRulesAction()
    {
        var rule = Rule("secure", 1, SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward, expiryDays: 7));
        var result = RuleEngine.Evaluate([rule], Message("RE: [Secure] results"), OwnDomains);

        var encrypt = Assert.IsType<RuleDecision.Encrypt>(result.Decision);
        Assert.Same(rule, encrypt.By);
        Assert.Equal(ProtectionLevel.DoNotForward, encrypt.Action.Protection);
        Assert.Equal(7, encrypt.Action.ExpiryDays);
        var reason = Assert.Single(Assert.Single(result.Matches).Reasons);
        Assert.Equal(RuleConditionKind.SubjectWords, reason.Condition);
        Assert.Equal(["[secure]"], reason.Details);
    }

    [Theory]
    [InlineData("insecure transport", false)]
    [InlineData("secured", false)]
    [InlineData("SECURE", true)]
    [InlineData("very-secure.", true)]
    public void Evaluate_Words_AreWholeWordsCaseInsensitive(string subject, bool matches)
    {
        var rule = Rule("w", 1, new RuleConditions { SubjectWords = ["secure"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        var result = RuleEngine.Evaluate([rule], Message(subject), OwnDomains);
        Assert.Equal(matches, result.Decision is RuleDecision.Encrypt);
    }

    [Fact]
    public void Evaluate_SubjectOrBodyWords_LooksAtTheBody()
    {
        var rule = Rule("b", 1, new RuleConditions { SubjectOrBodyWords = ["vertrouwelijk", "confidential"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        var result = RuleEngine.Evaluate([rule], Message(body: "This is Confidential information."), OwnDomains);
        Assert.Equal(["confidential"], Assert.Single(Assert.Single(result.Matches).Reasons).Details);

        var subjectOnly = Rule("s", 1, new RuleConditions { SubjectWords = ["confidential"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([subjectOnly], Message(body: "confidential"), OwnDomains).Decision);
    }

    [Fact]
    public void Evaluate_RecipientExternal_MatchesOnlyOutsideOwnDomains()
    {
        var rule = Rule("ext", 1, new RuleConditions { RecipientExternal = true }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message(recipients: ["a@contoso.test", "b@mail.contoso.test"]), OwnDomains).Decision);

        var result = RuleEngine.Evaluate([rule], Message(recipients: ["a@contoso.test", "patient@example.org"]), OwnDomains);
        Assert.Equal(["patient@example.org"], Assert.Single(Assert.Single(result.Matches).Reasons).Details);

        // Without known domains nobody is external: the rule cannot match.
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message(recipients: ["patient@example.org"]), []).Decision);
    }

    [Fact]
    public void Evaluate_RecipientDomain_IncludesSubdomains()
    {
        var rule = Rule("dom", 1, new RuleConditions { RecipientDomains = ["example.org"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.Encrypt>(RuleEngine.Evaluate([rule], Message(recipients: ["x@mail.example.org"]), OwnDomains).Decision);
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message(recipients: ["x@badexample.org"]), OwnDomains).Decision);
    }

    [Theory]
    [InlineData("alice@contoso.test", true)]
    [InlineData("contoso.test", true)]
    [InlineData("carol@contoso.test", false)]
    [InlineData("fabrikam.test", false)]
    public void Evaluate_Sender_ByAddressOrDomain(string entry, bool matches)
    {
        var rule = Rule("snd", 1, new RuleConditions { Senders = [entry] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.Equal(matches, RuleEngine.Evaluate([rule], Message(sender: "alice@contoso.test"), OwnDomains).Decision is RuleDecision.Encrypt);
    }

    [Fact]
    public void Evaluate_Attachments_PresenceAndType()
    {
        var pdf = new RuleAttachment("Lab results.PDF", "application/pdf");
        var has = Rule("has", 1, new RuleConditions { HasAttachment = true }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([has], Message(), OwnDomains).Decision);
        Assert.IsType<RuleDecision.Encrypt>(RuleEngine.Evaluate([has], Message(attachments: [pdf]), OwnDomains).Decision);

        foreach (var type in new[] { ".pdf", "pdf", "application/pdf", "application/*" })
        {
            var byType = Rule("type", 1, new RuleConditions { AttachmentTypes = [type] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
            Assert.IsType<RuleDecision.Encrypt>(RuleEngine.Evaluate([byType], Message(attachments: [pdf]), OwnDomains).Decision);
        }

        var docx = Rule("docx", 1, new RuleConditions { AttachmentTypes = [".docx", "image/*"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([docx], Message(attachments: [pdf]), OwnDomains).Decision);
    }

    [Fact]
    public void Evaluate_SensitiveInformation_NeedsTheMinimumCountAndNeverEchoesValues()
    {
        var rule = Rule("pci", 1, new RuleConditions { SensitiveInformation = [new(SensitiveInformationKind.PaymentCard, 2)] }, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message(body: "Card 4111111111111111"), OwnDomains).Decision);

        var result = RuleEngine.Evaluate([rule], Message(body: "Cards 4111111111111111 and 5555 5555 5555 4444"), OwnDomains);
        Assert.IsType<RuleDecision.Encrypt>(result.Decision);
        var detail = Assert.Single(Assert.Single(Assert.Single(result.Matches).Reasons).Details);
        Assert.Equal("PaymentCard: 2 ≥ 2", detail);
        Assert.DoesNotContain("4111", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AllConditionsMustMatch()
    {
        var rule = Rule("both", 1, new RuleConditions { SubjectWords = ["[secure]"], RecipientExternal = true }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message("[secure]", recipients: ["bob@contoso.test"]), OwnDomains).Decision);
        var result = RuleEngine.Evaluate([rule], Message("[secure]", recipients: ["p@example.org"]), OwnDomains);
        Assert.Equal(2, Assert.Single(result.Matches).Reasons.Count);
    }

    [Fact]
    public void Evaluate_DisabledRule_IsIgnored()
    {
        var rule = Rule("off", 1, SecureSubject, RuleAction.Encrypt(ProtectionLevel.EncryptOnly), enabled: false);
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([rule], Message("[secure]"), OwnDomains).Decision);
    }

    [Fact]
    public void Evaluate_TwoEncryptRules_FirstByPriorityDecides()
    {
        var later = Rule("later", 5, new RuleConditions(), RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        var first = Rule("first", 2, SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        var result = RuleEngine.Evaluate([later, first], Message("[secure]"), OwnDomains);

        Assert.Same(first, Assert.IsType<RuleDecision.Encrypt>(result.Decision).By);
        Assert.Equal(["first", "later"], result.Matches.Select(m => m.Rule.Name));
        Assert.Equal([true, false], result.Matches.Select(m => m.Applied));
    }

    [Fact]
    public void Evaluate_DoNotEncrypt_WinsOverEarlierEncrypt()
    {
        var encrypt = Rule("encrypt", 1, SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        var exempt = Rule("exempt", 2, new RuleConditions { RecipientDomains = ["partner.test"] }, RuleAction.DoNotEncrypt);
        var result = RuleEngine.Evaluate([encrypt, exempt], Message("[secure]", recipients: ["x@partner.test"]), OwnDomains);

        Assert.Same(exempt, Assert.IsType<RuleDecision.DoNotEncrypt>(result.Decision).By);
        Assert.Equal([false, true], result.Matches.Select(m => m.Applied));
    }

    [Fact]
    public void Evaluate_StopProcessing_KeepsLaterRulesFromBeingEvaluated()
    {
        var encrypt = Rule("encrypt", 1, SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward), stop: true);
        var exempt = Rule("exempt", 2, new RuleConditions(), RuleAction.DoNotEncrypt);
        var result = RuleEngine.Evaluate([exempt, encrypt], Message("[secure]"), OwnDomains);

        Assert.Same(encrypt, Assert.IsType<RuleDecision.Encrypt>(result.Decision).By);
        Assert.Same(encrypt, result.StoppedBy);
        Assert.Equal(["encrypt"], result.Matches.Select(m => m.Rule.Name));
    }

    [Fact]
    public void Evaluate_StopOnlyRule_ExemptsFromLaterRulesWithoutADecision()
    {
        var stop = Rule("internal", 1, new RuleConditions { RecipientDomains = ["contoso.test"] }, RuleAction.None, stop: true);
        var encrypt = Rule("all", 2, new RuleConditions(), RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        Assert.IsType<RuleDecision.NoRuleMatched>(RuleEngine.Evaluate([stop, encrypt], Message(), OwnDomains).Decision);
        Assert.IsType<RuleDecision.Encrypt>(RuleEngine.Evaluate([stop, encrypt], Message(recipients: ["p@example.org"]), OwnDomains).Decision);
    }

    [Fact]
    public void Evaluate_StopOnNonMatchingRule_DoesNotStop()
    {
        var stop = Rule("stop", 1, SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward), stop: true);
        var other = Rule("other", 2, new RuleConditions { SubjectWords = ["invoice"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        var result = RuleEngine.Evaluate([stop, other], Message("invoice"), OwnDomains);
        Assert.Same(other, Assert.IsType<RuleDecision.Encrypt>(result.Decision).By);
        Assert.Null(result.StoppedBy);
    }

    [Fact]
    public void RuleMessage_FromMime_ReadsHtmlBodyAndAttachments()
    {
        var builder = new BodyBuilder { HtmlBody = "<html><head><style>p{}</style><script>confidential()</script></head><body><p>IBAN <b>NL91 ABNA 0417 1643 00</b></p></body></html>" };
        builder.Attachments.Add("scan.pdf", Encoding.ASCII.GetBytes("%PDF-1.4"), new ContentType("application", "pdf"));
        using var mime = new MimeMessage(
            [new MailboxAddress("Alice", "Alice@Contoso.test")],
            [new MailboxAddress("P", "patient@example.org")],
            "Results",
            builder.ToMessageBody());

        var message = RuleMessage.From(mime);
        Assert.Equal("alice@contoso.test", message.Sender);
        Assert.Equal(["patient@example.org"], message.Recipients);
        Assert.Contains("NL91 ABNA 0417 1643 00", message.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain("confidential", message.BodyText, StringComparison.Ordinal);
        var attachment = Assert.Single(message.Attachments);
        Assert.Equal(("scan.pdf", "application/pdf"), (attachment.FileName, attachment.ContentType));

        var envelope = RuleMessage.From(mime, "bounce@contoso.test", ["hidden@example.net"]);
        Assert.Equal("bounce@contoso.test", envelope.Sender);
        Assert.Equal(["hidden@example.net"], envelope.Recipients);
    }

    [Fact]
    public void RuleMessage_Alternative_ReadsPlainTextOnce()
    {
        var builder = new BodyBuilder { TextBody = "plain BSN 111222333", HtmlBody = "<p>html BSN 123456782</p>" };
        using var mime = new MimeMessage([new MailboxAddress("A", "a@contoso.test")], [new MailboxAddress("B", "b@example.org")], "s", builder.ToMessageBody());
        var message = RuleMessage.From(mime);
        Assert.Contains("plain", message.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain("html", message.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public void Serializer_RoundTripsAndRefusesInvalid()
    {
        var conditions = new RuleConditions { SubjectWords = ["[secure]"], SensitiveInformation = [new(SensitiveInformationKind.Iban, 2)] };
        var action = RuleAction.Encrypt(ProtectionLevel.DoNotForward, Guid.NewGuid(), 30);
        Assert.Equal(conditions.SubjectWords, RuleSerializer.ConditionsFromJson(RuleSerializer.ToJson(conditions)).SubjectWords);
        Assert.Equal(action, RuleSerializer.ActionFromJson(RuleSerializer.ToJson(action)));

        Assert.Throws<RuleFormatException>(() => RuleSerializer.ConditionsFromJson("{\"unknown\":1}"));
        Assert.Throws<RuleFormatException>(() => RuleSerializer.ConditionsFromJson("not json"));
        Assert.Throws<RuleFormatException>(() => RuleSerializer.ActionFromJson("{\"kind\":\"Encrypt\",\"expiryDays\":9999}"));
        Assert.Throws<RuleFormatException>(() => RuleSerializer.ActionFromJson("{\"kind\":\"Shred\"}"));
        Assert.Throws<RuleFormatException>(() => RuleSerializer.ConditionsFromJson("{\"recipientDomains\":[\"not a domain\"]}"));
    }
}
