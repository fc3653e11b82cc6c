using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using OmePortal.Core.EndToEnd;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Interop;
using OmePortal.Web.RecipientKeys;
using OmePortal.Web.Rules;
using OmePortal.Web.Tests.Rules;

namespace OmePortal.Web.Tests.EndToEnd;

/// <summary>
/// Delivery per recipient over the real gateway: a message to a recipient with an S/MIME certificate, one with an
/// OpenPGP key and one without reaches the first two as encrypted copies at a real SMTP listener (the relay smart
/// host), which Debian's openssl and gpg open and verify, and the third as the portal notification. One portal,
/// one set of keys (made by gpg and in code) and one sink per class; each test uses its own recipients.
/// </summary>
public abstract class EndToEndDeliveryTests(EndToEndDeliveryTests.Host shared)
{
    private const string SecureWord = "[secure-e2e]";
    private const string Sender = "polis@contoso.test";

    private readonly PortalHost _host = shared.PortalHost;

    [Fact]
    public async Task Smtp_ThreeRecipients_TwoEncryptedCopiesRelayedAndOnePortalNotification()
    {
        var (smime, pgp, plain) = await shared.NewRecipientsAsync("smtp");
        var original = Sample(subjectPrefix: SecureWord, smime, pgp, plain);

        await SendThroughGatewayAsync(original);

        var copies = await shared.WaitForRelayedAsync(smime, pgp);
        var expected = MimeLeaves.Of(Sample(SecureWord, smime, pgp, plain).Body);

        var smimeCopy = copies[smime];
        Assert.Equal([smime], smimeCopy.To);
        Assert.Equal(Sender, smimeCopy.From);
        var signed = shared.Keys.Pki.Decrypt(smimeCopy.Data, shared.SMimeCertificateOf(smime));
        Assert.Equal(expected, MimeLeaves.Of(shared.Keys.Pki.Verify(signed)), MimeLeafComparer.Instance);

        var pgpCopy = copies[pgp];
        Assert.Equal([pgp], pgpCopy.To);
        var pgpMessage = MimeMessage.Load(new MemoryStream(pgpCopy.Data));
        Assert.Equal(original.Subject, pgpMessage.Subject);
        var decryption = shared.Keys.Recipient.Decrypt(MimeLeaves.Decoded(Assert.IsType<MultipartEncrypted>(pgpMessage.Body)[1]));
        Assert.True(decryption.GoodSignature, decryption.Status);
        Assert.Equal(expected, MimeLeaves.Of(decryption.Plaintext), MimeLeafComparer.Instance);

        var messageId = await _host.DbAsync(db => db.Recipients.Where(r => r.Address == plain).Select(r => r.MessageId).SingleAsync());
        var methods = await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == messageId).ToDictionaryAsync(r => r.Address, r => r.DeliveryMethod));
        Assert.Equal(DeliveryMethod.SMime, methods[smime]);
        Assert.Equal(DeliveryMethod.PgpMime, methods[pgp]);
        Assert.Equal(DeliveryMethod.Portal, methods[plain]);
        var notification = await WaitForSentAsync(messageId, plain);
        Assert.Equal(OutboundMailKind.Notification, notification.Kind);
        Assert.DoesNotContain(shared.Sink.RawReceived, r => r.To.Contains(plain));
        // The tenant signs its notifications: openssl verifies the one the third recipient got.
        var notificationFile = Directory.GetFiles(_host.OutboxDirectory).Select(File.ReadAllBytes)
            .Single(bytes => MimeMessage.Load(new MemoryStream(bytes)).To.Mailboxes.Any(m => m.Address == plain));
        var notificationMail = MimeMessage.Load(new MemoryStream(notificationFile));
        Assert.IsType<MultipartSigned>(notificationMail.Body);
        Assert.Contains("/m/", System.Text.Encoding.UTF8.GetString(shared.Keys.Pki.Verify(notificationFile)), StringComparison.Ordinal);
        // The portal copy is still stored: the end-to-end recipients keep a working link row too.
        Assert.Equal(3, methods.Count);

        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        var trace = await (await admin.Http.GetAsync($"/admin/trace/{messageId}")).Content.ReadAsStringAsync();
        Assert.Contains("data-status=\"delivery\" data-value=\"SMime\"", trace, StringComparison.Ordinal);
        Assert.Contains("data-status=\"delivery\" data-value=\"PgpMime\"", trace, StringComparison.Ordinal);
        Assert.Contains("data-status=\"delivery\" data-value=\"Portal\"", trace, StringComparison.Ordinal);
        Assert.Contains("cannot be recalled", trace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_DeliveryPortal_EveryoneGetsTheNotification()
    {
        var (smime, pgp, plain) = await shared.NewRecipientsAsync("portal");

        var ingested = await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", smime, pgp, plain)), "?delivery=portal");

        var methods = await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == ingested.Id).Select(r => r.DeliveryMethod).ToListAsync());
        Assert.Equal(3, methods.Count);
        Assert.All(methods, method => Assert.Equal(DeliveryMethod.Portal, method));
        var kinds = await _host.DbAsync(db => db.OutboundMails.Where(o => o.MessageId == ingested.Id).Select(o => o.Kind).ToListAsync());
        Assert.All(kinds, kind => Assert.Equal(OutboundMailKind.Notification, kind));
    }

    [Fact]
    public async Task Rest_DeliveryBestDoNotForward_StaysOnThePortal()
    {
        var (smime, pgp, plain) = await shared.NewRecipientsAsync("dnf");

        var ingested = await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", smime, pgp, plain)), "?delivery=best&protection=DoNotForward");

        var methods = await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == ingested.Id).Select(r => r.DeliveryMethod).ToListAsync());
        Assert.All(methods, method => Assert.Equal(DeliveryMethod.Portal, method));
    }

    [Fact]
    public async Task Rest_DeliveryBest_QueuesEndToEndForKeyHoldersOnly()
    {
        var (smime, pgp, plain) = await shared.NewRecipientsAsync("rest");

        var ingested = await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", smime, pgp, plain)), "?delivery=best");

        var kinds = await _host.DbAsync(db => db.OutboundMails.Where(o => o.MessageId == ingested.Id).ToDictionaryAsync(o => o.ToAddress, o => o.Kind));
        Assert.Equal(OutboundMailKind.EndToEnd, kinds[smime]);
        Assert.Equal(OutboundMailKind.EndToEnd, kinds[pgp]);
        Assert.Equal(OutboundMailKind.Notification, kinds[plain]);
        await shared.WaitForRelayedAsync(smime, pgp);
    }

    [Fact]
    public async Task RuleTester_BestMethodRule_ShowsTheMethodPerRecipientAndWhy()
    {
        var (smime, pgp, plain) = await shared.NewRecipientsAsync("tester");
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        using var upload = new MultipartFormDataContent();
        var file = new ByteArrayContent(Bytes(Sample(SecureWord, smime, pgp, plain)));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
        upload.Add(file, "message", "sample.eml");

        using var response = await admin.PostMultipartAsync("/admin/rules/test", upload);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains($"{smime}</strong>: S/MIME — a usable S/MIME certificate", html, StringComparison.Ordinal);
        Assert.Contains($"{pgp}</strong>: PGP/MIME — a usable OpenPGP key", html, StringComparison.Ordinal);
        Assert.Contains($"{plain}</strong>: portal — no usable certificate or key for this address", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuleForm_BestMethodForDoNotForward_IsStoredAndDescribed()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        var form = new Dictionary<string, string>
        {
            ["Input.Name"] = "Form end to end",
            ["Input.Enabled"] = "true",
            ["Input.SubjectWords"] = "[form-e2e]",
            ["Input.Action"] = "Encrypt",
            ["Input.Protection"] = "DoNotForward",
            ["Input.TemplateId"] = string.Empty,
            ["Input.ExpiryDays"] = string.Empty,
            ["Input.Delivery"] = "Best",
            ["Input.EndToEndForDoNotForward"] = "true",
            ["Input.PaymentCardMin"] = "1",
            ["Input.IbanMin"] = "1",
            ["Input.DutchBsnMin"] = "1",
        };

        using var saved = await admin.PostFormAsync("/admin/rules/new", form, handler: "Save");

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var json = await _host.DbAsync(db => db.MailFlowRules.Where(r => r.Name == "Form end to end").Select(r => r.ActionJson).SingleAsync());
        var action = RuleSerializer.ActionFromJson(json);
        Assert.Equal(DeliveryPreference.Best, action.Delivery);
        Assert.True(action.EndToEndForDoNotForward);
        var list = WebUtility.HtmlDecode(await (await admin.Http.GetAsync("/admin/rules")).Content.ReadAsStringAsync());
        Assert.Contains("end to end where the recipient has a key, Do-Not-Forward included", list, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fastest")]
    [InlineData("1")]
    public async Task Rest_UnknownDelivery_Is400AndStoresNothing(string delivery)
    {
        var (smime, _, _) = await shared.NewRecipientsAsync("bad" + delivery);

        using var response = await PortalIngest.PostAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", smime)), "?delivery=" + delivery);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("delivery must be best or portal", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await _host.DbAsync(db => db.Recipients.AnyAsync(r => r.Address == smime)));
    }

    [Fact]
    public async Task KeyRemovedBeforeSend_RowBecomesThePortalNotification()
    {
        var (_, pgp, _) = await shared.NewRecipientsAsync("gone");
        Guid messageId;
        shared.Sink.Refuse = true;
        try
        {
            // The relay refuses the first attempt, so the key can be removed while the copy is still queued.
            messageId = (await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", pgp)), "?delivery=best")).Id;
            await WaitForRowAsync(messageId, pgp, row => row.Attempts >= 1);
            var fingerprint = await _host.DbAsync(db => db.RecipientKeys.Where(k => k.Address == pgp).Select(k => k.Fingerprint).SingleAsync());
            await _host.InScopeAsync(async services => Assert.True(await services.GetRequiredService<RecipientKeyDirectory>()
                .RemoveAsync(shared.TenantId, fingerprint, "admin@contoso.test", CancellationToken.None)));
        }
        finally
        {
            shared.Sink.Refuse = false;
        }

        var sent = await WaitForSentAsync(messageId, pgp);

        Assert.Equal(OutboundMailKind.Notification, sent.Kind);
        Assert.Equal(DeliveryMethod.Portal, await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == messageId && r.Address == pgp).Select(r => r.DeliveryMethod).SingleAsync()));
        Assert.DoesNotContain(shared.Sink.RawReceived, r => r.To.Contains(pgp));
        var mails = Directory.GetFiles(_host.OutboxDirectory).Select(File.ReadAllBytes)
            .Where(bytes => MimeMessage.Load(new MemoryStream(bytes)).To.Mailboxes.Any(m => m.Address == pgp)).ToList();
        var notification = Assert.Single(mails);
        var text = string.Concat(MimeLeaves.Of(shared.Keys.Pki.Verify(notification))
            .Where(leaf => leaf.MimeType.StartsWith("text/", StringComparison.Ordinal)).Select(leaf => System.Text.Encoding.UTF8.GetString(leaf.Content)));
        var link = System.Text.RegularExpressions.Regex.Match(text, @"/m/[A-Za-z0-9_\-]+").Value;
        Assert.NotEmpty(link);
        using var browser = _host.CreateHttpClient();
        using var page = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Rest_DeliveryBest_InlineKey_GetsPgpInlineThatGpgDecryptsPartByPart()
    {
        var (_, pgp, _) = await shared.NewRecipientsAsync("inline");
        var fingerprint = await _host.DbAsync(db => db.RecipientKeys.Where(k => k.Address == pgp).Select(k => k.Fingerprint).SingleAsync());
        await _host.InScopeAsync(async services => Assert.True(await services.GetRequiredService<RecipientKeyDirectory>()
            .SetPgpFormatAsync(shared.TenantId, fingerprint, PgpFormat.Inline, "admin@contoso.test", CancellationToken.None)));

        var ingested = await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", pgp)), "?delivery=best");

        var copy = (await shared.WaitForRelayedAsync(pgp))[pgp];
        var originalLeaves = MimeLeaves.Of(Sample("", pgp).Body);
        var sentParts = MimeMessage.Load(new MemoryStream(copy.Data)).BodyParts.OfType<MimePart>().ToList();
        Assert.Equal(originalLeaves.Count, sentParts.Count);
        Assert.StartsWith("-----BEGIN PGP MESSAGE-----", Assert.IsType<TextPart>(sentParts[0]).Text.TrimStart(), StringComparison.Ordinal);
        for (var i = 0; i < sentParts.Count; i++)
        {
            var decryption = shared.Keys.Recipient.Decrypt(MimeLeaves.Decoded(sentParts[i]));
            Assert.True(decryption.GoodSignature, decryption.Status);
            if (originalLeaves[i].MimeType.StartsWith("text/", StringComparison.Ordinal))
            {
                // Text travels as canonical text (CRLF); gpg writes it with this system's line ends.
                Assert.Equal(LineFeeds(originalLeaves[i].Content), LineFeeds(decryption.Plaintext));
            }
            else
            {
                Assert.Equal(originalLeaves[i].Content, decryption.Plaintext);
            }
        }

        Assert.Equal(DeliveryMethod.PgpInline, await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == ingested.Id).Select(r => r.DeliveryMethod).SingleAsync()));
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        var trace = await (await admin.Http.GetAsync($"/admin/trace/{ingested.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("data-status=\"delivery\" data-value=\"PgpInline\"", trace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelayRefusesEveryAttempt_CopyFailsAndIsAuditedAsEndToEnd()
    {
        var (_, pgp, _) = await shared.NewRecipientsAsync("refused");
        // The listener is process-wide: failures of other hosts may be counted too, but only this test's kind is end_to_end.
        var failureKinds = new System.Collections.Concurrent.ConcurrentBag<string?>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "OmePortal" && instrument.Name == "omeportal.mail.send_failures")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "kind")
                {
                    failureKinds.Add(tag.Value as string);
                }
            }
        });
        listener.Start();
        OutboundMailRecord failed;
        Guid messageId;
        shared.Sink.Refuse = true;
        try
        {
            messageId = (await PortalIngest.IngestAsync(_host.BaseUrl, _host.ApiKey, Bytes(Sample("", pgp)), "?delivery=best")).Id;
            failed = await WaitForRowAsync(messageId, pgp, row => row.Status == OutboundMailStatus.Failed);
        }
        finally
        {
            shared.Sink.Refuse = false;
        }

        Assert.Equal(OutboundMailKind.EndToEnd, failed.Kind);
        Assert.Equal(3, failed.Attempts);
        var audits = await _host.DbAsync(db => db.AuditEvents.Where(a => a.MessageId == messageId && a.Kind == AuditEventKind.NotificationFailed).Select(a => a.Detail).ToListAsync());
        Assert.Equal("end-to-end; attempts 3", Assert.Single(audits));
        Assert.DoesNotContain(shared.Sink.RawReceived, r => r.To.Contains(pgp));
        Assert.Contains("end_to_end", failureKinds);
    }

    private static string LineFeeds(byte[] text) => System.Text.Encoding.UTF8.GetString(text).ReplaceLineEndings("\n");

    private async Task<OutboundMailRecord> WaitForRowAsync(Guid messageId, string address, Func<OutboundMailRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var mail = await _host.DbAsync(db => db.OutboundMails.AsNoTracking().SingleAsync(o => o.MessageId == messageId && o.ToAddress == address));
            if (condition(mail))
            {
                return mail;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The row for {address} did not reach the expected state (status {mail.Status}, attempts {mail.Attempts}).");
            await Task.Delay(100);
        }
    }

    private async Task<OutboundMailRecord> WaitForSentAsync(Guid messageId, string address)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var mail = await _host.DbAsync(db => db.OutboundMails.AsNoTracking().SingleAsync(o => o.MessageId == messageId && o.ToAddress == address));
            if (mail.Status == OutboundMailStatus.Sent || DateTime.UtcNow > deadline)
            {
                Assert.Equal(OutboundMailStatus.Sent, mail.Status);
                return mail;
            }

            await Task.Delay(100);
        }
    }

    private async Task SendThroughGatewayAsync(MimeMessage message)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", _host.SmtpPort, SecureSocketOptions.None);
        await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>The interop sample (UTF-8 subject and body, HTML, inline image, PDF) addressed to the given recipients.</summary>
    private static MimeMessage Sample(string subjectPrefix, params string[] to)
    {
        var message = MimeMessage.Load(Path.Combine(AppContext.BaseDirectory, "samples", "01-dutch-policy-inline-logo-pdf.eml"));
        message.To.Clear();
        message.To.AddRange(to.Select(MailboxAddress.Parse));
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse(Sender));
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("contoso.test");
        message.Subject = (subjectPrefix + " " + message.Subject).Trim();
        return message;
    }

    private static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// The class's portal, relaying to its sink, with a rule that asks for the best method on "[secure-e2e]" mail,
    /// the tenant's S/MIME and OpenPGP signing identities, and the key material the recipients' tools hold.
    /// </summary>
    public abstract class Host : IAsyncLifetime
    {
        private readonly Dictionary<string, X509Certificate2> _certificates = new(StringComparer.Ordinal);
        private Guid _tenantId;
        private PortalHost? _host;
        private int _next;

        protected abstract StorageKind Storage { get; }

        public SmtpSink Sink { get; } = new();

        public InteropKeys Keys { get; } = new();

        public Guid TenantId => _tenantId;

        public PortalHost PortalHost => _host ?? throw new InvalidOperationException("The shared portal has not started.");

        public async Task InitializeAsync()
        {
            // Few, quick retries, so a refusing relay fails an end-to-end copy for good within seconds.
            var settings = RulesTestSupport.RelayTo(Sink);
            settings["OmePortal:Notifications:MaxAttempts"] = "3";
            settings["OmePortal:Notifications:FirstRetryDelay"] = "00:00:00.500";
            settings["OmePortal:Notifications:MaxRetryDelay"] = "00:00:01";
            settings["OmePortal:Notifications:PollInterval"] = "00:00:00.500";
            _host = await new PortalHost(Storage, settings).StartAsync();
            _tenantId = await RulesTestSupport.DefaultTenantAsync(_host);
            await RulesTestSupport.AddRuleAsync(
                _host, "Secure end to end", new RuleConditions { SubjectWords = [SecureWord] },
                RuleAction.Encrypt(ProtectionLevel.EncryptOnly) with { Delivery = DeliveryPreference.Best });
            await _host.InScopeAsync(async services =>
            {
                var anchors = services.GetRequiredService<RecipientTrustAnchors>();
                Assert.IsType<TrustAnchorResult.Added>(await anchors.AddAsync(_tenantId, Keys.Pki.Authority.Export(X509ContentType.Cert), "admin@contoso.test", CancellationToken.None));
                await anchors.SaveSettingsAsync(_tenantId, allowSelfSigned: false, signNotifications: true, "admin@contoso.test", CancellationToken.None);
                var signing = services.GetRequiredService<SigningIdentities>();
                Assert.IsType<SigningUploadResult.Stored>(await signing.SetSmimeAsync(_tenantId, Keys.TenantCertificate.Export(X509ContentType.Pfx, "pfx-password"), "pfx-password", "admin@contoso.test", CancellationToken.None));
                Assert.IsType<SigningUploadResult.Stored>(await signing.SetOpenPgpAsync(_tenantId, Keys.TenantSecretKey, null, "admin@contoso.test", CancellationToken.None));
            });
        }

        /// <summary>Three fresh addresses: one with an S/MIME certificate, one with the class's OpenPGP key, one without a key.</summary>
        public async Task<(string SMime, string Pgp, string Plain)> NewRecipientsAsync(string label)
        {
            var n = Interlocked.Increment(ref _next);
            var smime = $"smime.{label}.{n}@example.net";
            var pgp = $"pgp.{label}.{n}@example.net";
            var certificate = Keys.Pki.Issue(smime);
            _certificates[smime] = certificate;
            var pgpKey = Keys.Recipient.ExportPublicKey(Keys.Recipient.GenerateKey($"Recipient <{pgp}>"));
            await PortalHost.InScopeAsync(async services =>
            {
                var directory = services.GetRequiredService<RecipientKeyDirectory>();
                foreach (var key in new[] { certificate.Export(X509ContentType.Cert), pgpKey })
                {
                    var result = await directory.ImportAsync(_tenantId, key, new KeyImportRequest(null, RecipientKeySource.Admin, "admin@contoso.test", NotifyAddress: false), CancellationToken.None);
                    var imported = Assert.IsType<KeyImportResult.Imported>(result);
                    Assert.All(imported.Keys, k => Assert.True(k.Check.IsUsable, k.Check.ToString()));
                }
            });
            return (smime, pgp, $"plain.{label}.{n}@example.net");
        }

        public X509Certificate2 SMimeCertificateOf(string address) => _certificates[address];

        /// <summary>Waits until the sink has one relayed mail for each address; returns them by address.</summary>
        public async Task<Dictionary<string, ReceivedMail>> WaitForRelayedAsync(params string[] addresses)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var found = addresses.ToDictionary(a => a, a => Sink.RawReceived.FirstOrDefault(r => r.To.Contains(a)));
                if (found.Values.All(r => r is not null))
                {
                    return found.ToDictionary(p => p.Key, p => p.Value!);
                }

                Assert.True(DateTime.UtcNow < deadline, $"Relayed copies for {string.Join(", ", addresses)} did not arrive.");
                await Task.Delay(100);
            }
        }

        public async Task DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }

            await Sink.DisposeAsync();
            foreach (var certificate in _certificates.Values)
            {
                certificate.Dispose();
            }

            Keys.Dispose();
        }
    }

    public sealed class SqliteHost : Host
    {
        protected override StorageKind Storage => StorageKind.Sqlite;
    }

    public sealed class PostgresHost : Host
    {
        protected override StorageKind Storage => StorageKind.Postgres;
    }
}

public sealed class EndToEndDeliverySqliteTests(EndToEndDeliveryTests.SqliteHost host) : EndToEndDeliveryTests(host), IClassFixture<EndToEndDeliveryTests.SqliteHost>;

public sealed class EndToEndDeliveryPostgresTests(EndToEndDeliveryTests.PostgresHost host) : EndToEndDeliveryTests(host), IClassFixture<EndToEndDeliveryTests.PostgresHost>;
