using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Intake;
using OmePortal.Testing;
using static OmePortal.Web.Tests.Replies.ReplyTestSupport;

namespace OmePortal.Web.Tests.Replies;

/// <summary>
/// Replies, reply-alls and forwards over real HTTP, written by recipients signed in through the real
/// passcode flow: what is stored (encrypted, threaded, from the verified address), who is notified,
/// and every refusal (Do-Not-Forward, forged recipients, strangers, limits, injection, antiforgery).
/// </summary>
public abstract class RepliesTests : IAsyncLifetime
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.nl";
    private const string Dave = "dave@example.org";
    private const string Erin = "erin@example.com";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(
        Storage,
        Settings(("OmePortal:Replies:MaxAttachments", "3"), ("OmePortal:Replies:MaxAttachmentBytes", "200000"))).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<RecipientBrowserlessClient> SignInAsync(Original message, string address) =>
        RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[address]);

    [Fact]
    public async Task Reply_WithAttachment_IsStoredEncryptedInTheConversationAndTheSenderReadsIt()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var form = await bob.Http.GetAsync(ComposePath(original.Id, "reply"));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var page = await form.Content.ReadAsStringAsync();
        Assert.Contains($"data-recipients=\"to\">{Sender}</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<progress id=\"upload-progress-bar\"", page, StringComparison.Ordinal);
        Assert.Equal("no-store", form.Headers.CacheControl?.ToString().Split(',')[0]);

        var bodyMarker = TestMessages.NewMarker("ReplyBody");
        var pdf = Encoding.ASCII.GetBytes($"%PDF-1.7\n{TestMessages.NewMarker("ReplyFile")}\n%%EOF\n");
        using var response = await PostReplyAsync(
            bob, original.Id, "reply", $"Thanks, {bodyMarker}", [("From", "ceo@contoso.test"), ("Sender", "ceo@contoso.test")], [new Upload("answer.pdf", pdf, "text/plain")]);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var stored = await DbAsync(_host, db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == original.Id));
        var reply = await ReplyToAsync(_host, original.Id);
        Assert.Equal($"/messages/{original.Id}?sent={reply.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(stored.ConversationId, reply.ConversationId);
        Assert.Equal(IngestSource.Reply, reply.Source);
        Assert.Equal(ProtectionLevel.EncryptOnly, reply.Protection);
        Assert.Equal(stored.TemplateId, reply.TemplateId);
        Assert.Equal(Bob, reply.SenderAddress);
        Assert.Equal([Sender], reply.Recipients.Select(r => r.Address));
        var replied = await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == original.Id).ToDictionaryAsync(r => r.Address, r => r.RepliedAt));
        Assert.NotNull(replied[Bob]);
        Assert.Null(replied[Carol]);

        // Proper MIME: from the verified address, threaded, the attachment typed by its content.
        var mime = await StoredMimeAsync(_host, reply.Id);
        var originalMime = await StoredMimeAsync(_host, original.Id);
        Assert.Equal([Bob], mime.From.Mailboxes.Select(m => m.Address));
        Assert.Null(mime.Sender);
        Assert.Equal(originalMime.MessageId, mime.InReplyTo);
        Assert.Equal(originalMime.MessageId, mime.References.Last());
        Assert.StartsWith("Re: Quarterly figures", mime.Subject, StringComparison.Ordinal);
        Assert.Contains(bodyMarker, mime.TextBody, StringComparison.Ordinal);
        var file = Assert.IsAssignableFrom<MimePart>(Assert.Single(mime.Attachments));
        Assert.Equal("answer.pdf", file.FileName);
        Assert.Equal("application/pdf", file.ContentType.MimeType);
        Assert.Equal(pdf, Decoded(file));

        // Encrypted at rest: the text is in no blob in plaintext.
        Assert.False(AnyFileContains(_host.AzureContainer is null ? _host.BlobDirectory : TestEnvironment.AzuriteDataDirectory, bodyMarker));

        // The original sender is notified and reads the reply in the same portal.
        var link = await WaitForNotificationLinkAsync(_host, reply.Id, Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        Assert.Equal($"/messages/{reply.Id}", sender.LandedOn);
        var senderPage = await sender.Http.GetAsync($"/messages/{reply.Id}");
        Assert.Equal(HttpStatusCode.OK, senderPage.StatusCode);
        Assert.Contains("answer.pdf", await senderPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var frame = await sender.Http.GetStringAsync($"/messages/{reply.Id}/body");
        Assert.Contains(bodyMarker, frame, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplyAll_GoesToTheSenderAndEveryOtherRecipient_NotTheReplier()
    {
        var original = await IngestAsync(_host, [Bob, Carol], cc: [Dave]);
        using var bob = await SignInAsync(original, Bob);
        var page = await bob.Http.GetStringAsync(ComposePath(original.Id, "replyall"));
        Assert.Contains($"data-recipients=\"to\">{Sender}, {Carol}</dd>", page, StringComparison.Ordinal);
        Assert.Contains($"data-recipients=\"cc\">{Dave}</dd>", page, StringComparison.Ordinal);

        using var response = await PostReplyAsync(bob, original.Id, "replyall", "For everyone");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);

        var reply = await ReplyToAsync(_host, original.Id);
        Assert.Equal([Carol, Dave, Sender], reply.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal));
        var mime = await StoredMimeAsync(_host, reply.Id);
        Assert.Equal([Sender, Carol], mime.To.Mailboxes.Select(m => m.Address));
        Assert.Equal([Dave], mime.Cc.Mailboxes.Select(m => m.Address));
        Assert.Equal([Carol, Dave, Sender], await NotifiedAsync(_host, reply.Id, 3));
    }

    [Fact]
    public async Task Forward_EncryptOnly_GoesToTypedAddressesWithTheOriginalsAttachments()
    {
        var marker = TestMessages.NewMarker("Fwd");
        var original = await IngestAsync(_host, [Bob], marker: marker);
        using var bob = await SignInAsync(original, Bob);
        var page = await bob.Http.GetAsync(ComposePath(original.Id, "forward"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<label for=\"To\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var response = await PostReplyAsync(bob, original.Id, "forward", "Please have a look", [("To", $"Erin <{Erin}>")]);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);

        var forward = await ReplyToAsync(_host, original.Id);
        Assert.Equal([Erin], forward.Recipients.Select(r => r.Address));
        var mime = await StoredMimeAsync(_host, forward.Id);
        Assert.Equal($"Fwd: Quarterly figures {marker}", mime.Subject);
        Assert.Contains("---------- Forwarded message ----------", mime.TextBody, StringComparison.Ordinal);
        Assert.Contains($"the figures: {marker}", mime.TextBody, StringComparison.Ordinal);
        var file = Assert.IsAssignableFrom<MimePart>(Assert.Single(mime.Attachments));
        Assert.Equal("figures.txt", file.FileName);
        Assert.Equal($"confidential {marker}\n", Encoding.ASCII.GetString(Decoded(file)));

        // A forward is not a reply.
        Assert.Null(await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == original.Id).Select(r => r.RepliedAt).SingleAsync()));
        Assert.Equal([Erin], await NotifiedAsync(_host, forward.Id, 1));
    }

    [Fact]
    public async Task Forward_DoNotForward_IsRefusedOnTheServer()
    {
        var original = await IngestAsync(_host, [Bob], protection: "DoNotForward");
        using var bob = await SignInAsync(original, Bob);

        var page = await bob.Http.GetAsync(ComposePath(original.Id, "forward"));
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var refusal = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("id=\"compose-form\"", refusal, StringComparison.Ordinal);
        Assert.Contains("This message cannot be forwarded", refusal, StringComparison.Ordinal);

        using var forged = await PostReplyAsync(bob, original.Id, "forward", "leak", [("To", Erin)]);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task Reply_DoNotForward_IsAllowedAndProtectedTheSameWay()
    {
        var original = await IngestAsync(_host, [Bob, Carol], protection: "DoNotForward");
        using var bob = await SignInAsync(original, Bob);
        var page = await bob.Http.GetStringAsync(ComposePath(original.Id, "replyall"));
        Assert.Contains("Do Not Forward", page, StringComparison.Ordinal);

        using var response = await PostReplyAsync(bob, original.Id, "replyall", "ok");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var reply = await ReplyToAsync(_host, original.Id);
        Assert.Equal(ProtectionLevel.DoNotForward, reply.Protection);
        Assert.Equal([Carol, Sender], reply.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("reply", "To", "DoNotForward")]
    [InlineData("replyall", "To", "DoNotForward")]
    [InlineData("reply", "Cc", "DoNotForward")]
    [InlineData("replyall", "Bcc", "DoNotForward")]
    [InlineData("reply", "To", "EncryptOnly")]
    [InlineData("replyall", "Cc", "EncryptOnly")]
    public async Task Reply_WithPostedRecipients_IsRefusedAndNothingStored(string mode, string field, string protection)
    {
        var original = await IngestAsync(_host, [Bob], protection: protection);
        using var bob = await SignInAsync(original, Bob);

        using var forged = await PostReplyAsync(bob, original.Id, mode, "add someone", [(field, "mallory@evil.test")]);

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(1, await CountMessagesAsync(_host));
        Assert.Contains("The recipients cannot be changed", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stranger_RecipientOfA_CannotReplyToB()
    {
        var a = await IngestAsync(_host, [Bob]);
        var b = await IngestAsync(_host, [Carol]);
        using var bob = await SignInAsync(a, Bob);
        var token = await bob.AntiforgeryTokenAsync(ComposePath(a.Id, "reply"));

        foreach (var mode in new[] { "reply", "replyall", "forward" })
        {
            var page = await bob.Http.GetAsync(ComposePath(b.Id, mode));
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.DoesNotContain("Quarterly", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var post = await PostReplyAsync(bob, b.Id, mode, "hello", mode == "forward" ? [("To", Erin)] : null, token: token);
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        Assert.Equal(2, await CountMessagesAsync(_host));
        Assert.Null(await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == b.Id).Select(r => r.RepliedAt).SingleAsync()));
    }

    [Fact]
    public async Task NotSignedIn_IsSentToSignIn_AndNothingStored()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var anonymous = RecipientBrowserlessClient.Anonymous(_host);

        var page = await anonymous.Http.GetAsync(ComposePath(original.Id, "reply"));
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", page.Headers.Location?.OriginalString, StringComparison.Ordinal);

        var content = new MultipartFormDataContent { { new StringContent("x"), "Body" } };
        var post = await anonymous.Http.PostAsync(ComposePath(original.Id, "reply"), content);
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task Reply_ToExpiredMessage_Is410()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        var token = await bob.AntiforgeryTokenAsync(ComposePath(original.Id, "reply"));
        await DbAsync(_host, db => db.Messages.Where(m => m.Id == original.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1))));

        Assert.Equal(HttpStatusCode.Gone, (await bob.Http.GetAsync(ComposePath(original.Id, "reply"))).StatusCode);
        using var post = await PostReplyAsync(bob, original.Id, "reply", "too late", token: token);
        Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task TooManyFiles_ShowsTheFormAgainWithTheTextAndStoresNothing()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        var typed = TestMessages.NewMarker("Typed");
        var files = Enumerable.Range(0, 4).Select(i => new Upload($"f{i}.txt", Encoding.ASCII.GetBytes($"file {i}"))).ToList();

        using var response = await PostReplyAsync(bob, original.Id, "reply", $"keep me {typed}", files: files);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("Attach at most 3 files.", page, StringComparison.Ordinal);
        Assert.Contains($"keep me {typed}</textarea>", page, StringComparison.Ordinal);
        Assert.Contains("href=\"#Attachments\"", page, StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task TooLarge_IsRefusedWithAClearMessageAndStoresNothing()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        var files = new[] { new Upload("a.bin", new byte[150_000]), new Upload("b.bin", new byte[60_000]) };

        using var response = await PostReplyAsync(bob, original.Id, "reply", "big", files: files);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("The attachments are too large: at most 195 KB in total.", page, StringComparison.Ordinal);
        Assert.Contains("big</textarea>", page, StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task TenantMessageLimit_CapsTheUploadLimit()
    {
        await DbAsync(_host, db => db.Tenants.ExecuteUpdateAsync(s => s.SetProperty(t => t.MaxMessageBytes, 50_000L)));
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        Assert.Contains("Up to 3 files, 48 KB in total.", await bob.Http.GetStringAsync(ComposePath(original.Id, "reply")), StringComparison.Ordinal);

        using var response = await PostReplyAsync(bob, original.Id, "reply", "big", files: [new Upload("a.bin", new byte[60_000])]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("The attachments are too large: at most 48 KB in total.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Theory]
    [InlineData("erin@example.com\r\nBcc: evil@evil.test")]
    [InlineData("erin@example.com\nBcc: evil@evil.test")]
    [InlineData("erin@example.com, not-an-address")]
    public async Task Forward_InjectedOrInvalidAddress_IsRefused(string to)
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);

        using var response = await PostReplyAsync(bob, original.Id, "forward", "fyi", [("To", to)]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("is not a valid email address.", page, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", page, StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task Forward_WithoutAddress_AsksForOne()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);

        using var response = await PostReplyAsync(bob, original.Id, "forward", "fyi", [("To", " ")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Enter at least one email address.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task EmptyReply_IsRefusedWithAnErrorLinkedToTheField()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);

        using var response = await PostReplyAsync(bob, original.Id, "reply", "   ");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<a href=\"#Body\">Write a message.</a>", page, StringComparison.Ordinal);
        Assert.Contains("aria-describedby=\"Body-error\" aria-invalid=\"true\"", page, StringComparison.Ordinal);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "not-the-token")]
    public async Task Post_WithoutValidAntiforgeryFirst_IsRefused(bool tokenFirst, string? token)
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);

        using var response = await PostReplyAsync(bob, original.Id, "reply", "hello", token: token, tokenFirst: tokenFirst);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, await CountMessagesAsync(_host));
    }

    [Fact]
    public async Task Dutch_PageAndQuotedOriginal_AreInDutch()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        using var request = new HttpRequestMessage(HttpMethod.Get, ComposePath(original.Id, "reply"));
        request.Headers.AcceptLanguage.ParseAdd("nl");
        var page = await (await bob.Http.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("<label for=\"Body\">Uw bericht</label>", page, StringComparison.Ordinal);
        Assert.Contains("<label for=\"upload-progress-bar\">Voortgang van het verzenden</label>", page, StringComparison.Ordinal);

        using var response = await PostReplyAsync(bob, original.Id, "reply", "Dank u", acceptLanguage: "nl");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var mime = await StoredMimeAsync(_host, (await ReplyToAsync(_host, original.Id)).Id);
        Assert.Contains($"schreef Sender <{Sender}>:", mime.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplyToTheReply_StaysInTheConversation()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        using (var first = await PostReplyAsync(bob, original.Id, "reply", "first answer"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, first.StatusCode);
        }

        var reply = await ReplyToAsync(_host, original.Id);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await WaitForNotificationLinkAsync(_host, reply.Id, Sender));
        using (var second = await PostReplyAsync(sender, reply.Id, "reply", "second answer"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, second.StatusCode);
        }

        var answer = await ReplyToAsync(_host, reply.Id);
        Assert.Equal(reply.ConversationId, answer.ConversationId);
        Assert.Equal([Bob], answer.Recipients.Select(r => r.Address));
        var mime = await StoredMimeAsync(_host, answer.Id);
        var replyMime = await StoredMimeAsync(_host, reply.Id);
        Assert.Equal("Re: Quarterly figures s", mime.Subject);
        Assert.Equal([.. replyMime.References, replyMime.MessageId!], mime.References);
    }
}

public sealed class RepliesSqliteTests : RepliesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RepliesPostgresTests : RepliesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class RepliesPostgresAzureBlobTests : RepliesTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
