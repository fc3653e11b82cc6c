using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OmePortal.Core.Intake;
using OmePortal.Core.Notifications;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Audit;
using OmePortal.Web.Rules;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// Two real portal processes, A and B, on one PostgreSQL database, one Azurite container and one Redis, as an
/// operator runs several nodes: a recipient moves between them, both take mail, both run the background work,
/// and a node killed mid-send has its mail sent by the other. Started once for the class (process starts are dear).
/// </summary>
public sealed class TwoNodeProcessTests(TwoNodeProcessTests.Cluster cluster, ITestOutputHelper output) : IClassFixture<TwoNodeProcessTests.Cluster>
{
    /// <summary>Short, so that the takeover after a kill is seen within seconds; longer than the send timeout, as the portal requires.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(6);

    /// <summary>The recipient sign-in limit by default (<c>OmePortal:Passcodes:RequestsPerMinutePerClient</c>).</summary>
    private const int SignInPermitsPerMinute = 30;

    /// <summary>Needs Azurite and Redis of ./test.sh: skipped without them outside CI, run (and failing) under CI=true.</summary>
    public sealed class TwoNodeFactAttribute : FactAttribute
    {
        public TwoNodeFactAttribute()
        {
            Skip = SkipReason;
        }
    }

    private static string? SkipReason =>
        Environment.GetEnvironmentVariable("CI") == "true" ? null
        : Environment.GetEnvironmentVariable(TestEnvironment.AzuriteVariable) is not { Length: > 0 } ? $"{TestEnvironment.AzuriteVariable} is not set (./test.sh starts Azurite and sets it)."
        : TestEnvironment.RedisSkipReason;

    public sealed class Cluster : IAsyncLifetime
    {
        private readonly string _database = "omeportal_twonode_" + Guid.NewGuid().ToString("N");
        private readonly string _container = TestEnvironment.NewAzureContainerName();
        private readonly List<string> _directories = [];

        public SmtpSink Sink { get; } = new();

        /// <summary>Node A's smart host: the sink, through a relay that can be made to hold A's sends.</summary>
        public SwitchableRelay RelayOfA { get; private set; } = null!;

        public PortalProcess A { get; private set; } = null!;

        public PortalProcess B { get; private set; } = null!;

        public string ConnectionString => new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = _database }.ConnectionString;

        public BlobContainerClient Container => new(TestEnvironment.AzuriteConnectionString, _container);

        public async Task InitializeAsync()
        {
            if (SkipReason is not null)
            {
                return;
            }

            var apiKey = "omp_test_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
            var shared = new Dictionary<string, string>
            {
                ["OmePortal__Database__Provider"] = "Postgres",
                ["OmePortal__Database__ConnectionString"] = ConnectionString,
                ["OmePortal__Vault__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["OmePortal__Blobs__Provider"] = "AzureBlob",
                ["OmePortal__Blobs__AzureBlob__ConnectionString"] = TestEnvironment.AzuriteConnectionString,
                ["OmePortal__Blobs__AzureBlob__Container"] = _container,
                ["OmePortal__Redis__Configuration"] = TestEnvironment.RedisConfiguration,
                ["OmePortal__Notifications__Delivery"] = "SmartHost",
                ["OmePortal__Notifications__SmartHost__Host"] = "127.0.0.1",
                ["OmePortal__Notifications__SmartHost__Port"] = Sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["OmePortal__Notifications__SmartHost__Security"] = "StartTls",
                ["OmePortal__Notifications__SmartHost__PinnedCertificateSha256"] = Sink.CertificateSha256,
                ["OmePortal__Notifications__SmartHost__Timeout"] = SendTimeout.ToString(),
                ["OmePortal__Notifications__LeaseDuration"] = Lease.ToString(),
                ["OmePortal__Notifications__PollInterval"] = "00:00:00.500",
                ["OmePortal__Notifications__FirstRetryDelay"] = "00:00:00.500",
                ["OmePortal__Notifications__MaxRetryDelay"] = "00:00:02",
                ["OmePortal__Revocation__SweepInterval"] = "00:00:01",
            };
            RelayOfA = new SwitchableRelay(Sink.Port);
            A = NewNode(apiKey, new Dictionary<string, string>(shared)
            {
                ["OmePortal__Notifications__SmartHost__Port"] = RelayOfA.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            B = NewNode(apiKey, shared);

            // One after the other: the first migrates the database and creates the tenant, the second finds them.
            A.Start();
            await A.WaitReadyAsync(TimeSpan.FromSeconds(90));

            // Mail over SMTP that no rule encrypts is relayed to the smart host as it came: a rule protects the test mail.
            await using (var db = Db())
            {
                var tenant = await db.Tenants.Where(t => t.Slug == "default").Select(t => t.Id).SingleAsync();
                var saved = await new RuleStore(db, new AuditLog(db, TimeProvider.System), TimeProvider.System, NullLogger<RuleStore>.Instance).SaveAsync(
                    tenant, null, "Protect the test mail", new RuleConditions { SubjectWords = ["Quarterly"] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly),
                    stopProcessing: false, enabled: true, "test@contoso.test", CancellationToken.None);
                Assert.IsType<RuleSaveResult.Saved>(saved);
            }

            B.Start();
            await B.WaitReadyAsync(TimeSpan.FromSeconds(90));
        }

        private PortalProcess NewNode(string apiKey, Dictionary<string, string> shared)
        {
            var data = TestEnvironment.NewTempDirectory("omeportal-node");
            _directories.Add(data);
            return new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), apiKey, data, shared);
        }

        /// <summary>Starts node A again when a test killed it (only then: process starts are dear).</summary>
        public async Task<PortalProcess> RunningAAsync()
        {
            if (!A.IsRunning)
            {
                A.Start();
                await A.WaitReadyAsync(TimeSpan.FromSeconds(90));
            }

            return A;
        }

        public OmePortalDbContext Db() =>
            new PostgresOmePortalDbContext(new DbContextOptionsBuilder<PostgresOmePortalDbContext>().UseNpgsql(ConnectionString).Options);

        public async Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query)
        {
            await using var db = Db();
            return await query(db);
        }

        public async Task DisposeAsync()
        {
            A?.Dispose();
            B?.Dispose();
            if (RelayOfA is not null)
            {
                await RelayOfA.DisposeAsync();
            }

            await Sink.DisposeAsync();
            if (SkipReason is not null)
            {
                return;
            }

            await Container.DeleteIfExistsAsync();
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(TestEnvironment.PostgresServer);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            foreach (var directory in _directories)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }


    private PortalProcess B => cluster.B;

    [TwoNodeFact]
    public async Task Recipient_SignsInOnA_ReadsDownloadsAndRepliesOnB()
    {
        var a = await cluster.RunningAAsync();
        var run = TestMessages.NewMarker("x");
        var address = $"{run}@example.nl";
        var message = await a.IngestAsync(TestMessages.ToBytes(TestMessages.WithMarkers(run, run + "h", run, run + "a", address)));

        using var onA = new RecipientBrowserlessClient(a.BaseUrl, cluster.Sink);
        await onA.SignInFromLinkAsync(WithBase(message.Link, a));
        Assert.StartsWith($"/messages/{message.Id}", onA.LandedOn, StringComparison.Ordinal);

        // Node B never saw this recipient: the session, its cookies and the antiforgery token are A's.
        using var onB = new RecipientBrowserlessClient(B.BaseUrl, cluster.Sink);
        CopyCookies(onA, onB);
        var page = new MessagePage(await onB.GetPageAsync($"/messages/{message.Id}"));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(run, page.Subject, StringComparison.Ordinal);
        using (var body = await onB.Http.GetAsync(page.BodyUrl))
        {
            Assert.Equal(HttpStatusCode.OK, body.StatusCode);
            Assert.Contains(run + "h", await body.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var attachment = page.Attachments.Single(a => a.FileName == "figures.txt");
        using (var download = await onB.Http.GetAsync(attachment.Href))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Contains(run + "a", await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var token = await onA.AntiforgeryTokenAsync($"/messages/{message.Id}/reply?mode=reply");
        CopyCookies(onA, onB);
        using var content = new MultipartFormDataContent
        {
            { new StringContent(token), HtmlPage.AntiforgeryField },
            { new StringContent($"Thanks {run}"), "Body" },
        };
        using var replied = await onB.Http.PostAsync($"/messages/{message.Id}/reply?mode=reply", content);
        Assert.Equal(HttpStatusCode.SeeOther, replied.StatusCode);
        Assert.Equal(1, await cluster.DbAsync(db => db.Messages.CountAsync(m => m.InReplyToMessageId == message.Id)));

        // A stranger on B, with no cookies, gets no message.
        using var stranger = new RecipientBrowserlessClient(B.BaseUrl, cluster.Sink);
        var refused = await stranger.GetPageAsync($"/messages/{message.Id}");
        Assert.NotEqual(HttpStatusCode.OK, refused.Status);
    }

    [TwoNodeFact]
    public async Task TwoHundredMessages_AlternatelyToBothNodesOverRestAndSmtp_OneNotificationPerRecipient()
    {
        var a = await cluster.RunningAAsync();
        const int count = 200;
        var run = TestMessages.NewMarker("n");
        var recipients = Enumerable.Range(0, count).Select(i => $"{run}-{i}@example.nl").ToArray();

        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Message i goes to node i % 2, over REST when i / 2 is even, else over SMTP: four submitters at once, one per
        // node and channel, as independent senders would.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async lane =>
        {
            var node = lane % 2 == 0 ? a : B;
            var overRest = lane / 2 == 0;
            using var smtp = overRest ? null : await ConnectAsync(node);
            for (var i = 0; i < count; i++)
            {
                if (i % 2 != lane % 2 || (i / 2 % 2 == 0) != overRest)
                {
                    continue;
                }

                var mime = TestMessages.WithMarkers(run, run, run, run, recipients[i]);
                if (smtp is null)
                {
                    await node.IngestAsync(TestMessages.ToBytes(mime));
                }
                else
                {
                    await smtp.SendAsync(mime);
                }
            }

            if (smtp is not null)
            {
                await smtp.DisconnectAsync(true);
            }
        }));

        output.WriteLine($"{count} messages accepted in {clock.Elapsed.TotalSeconds:0.0} s");
        await WaitUntilAsync(() => Task.FromResult(ReceivedFor(run).Count >= count), TimeSpan.FromSeconds(120));
        output.WriteLine($"every notification at the sink after {clock.Elapsed.TotalSeconds:0.0} s");

        // Time for a second copy to arrive, were either node to send one.
        await Task.Delay(2000);
        Assert.Equal(recipients.Order(StringComparer.Ordinal), ReceivedFor(run).Order(StringComparer.Ordinal));
        var rows = await cluster.DbAsync(db => db.OutboundMails.Where(o => o.ToAddress.StartsWith(run)).Select(o => o.Status).ToListAsync());
        Assert.Equal(count, rows.Count);
        Assert.All(rows, status => Assert.Equal(OutboundMailStatus.Sent, status));
    }

    [TwoNodeFact]
    public async Task ExpiredMessage_BothSweepersRunning_ShreddedExactlyOnce()
    {
        await cluster.RunningAAsync();
        var run = TestMessages.NewMarker("e");
        var message = await B.IngestAsync(TestMessages.ToBytes(TestMessages.WithMarkers(run, run, run, run, $"{run}@example.nl")), "?expiresInDays=1");
        var content = await cluster.DbAsync(db => db.Messages.Where(m => m.Id == message.Id).Select(m => m.ContentBlob).SingleAsync());
        Assert.True((await cluster.Container.GetBlobClient(content).ExistsAsync()).Value);

        // Expiry comes by the calendar; the processes keep real time, so the message is moved into the past.
        await cluster.DbAsync(db => db.Messages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1))));
        await WaitUntilAsync(() => cluster.DbAsync(db => db.Messages.AnyAsync(m => m.Id == message.Id && m.WrappedKey == null)), TimeSpan.FromSeconds(30));

        // Several more sweeps of both nodes.
        await Task.Delay(3000);
        var events = await cluster.DbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.MessageId == message.Id).Select(e => e.Kind).ToListAsync());
        Assert.Single(events, k => k == AuditEventKind.MessageShredded);
        Assert.Single(events, k => k == AuditEventKind.MessageExpired);
        Assert.False((await cluster.Container.GetBlobClient(content).ExistsAsync()).Value);
    }

    [TwoNodeFact]
    public async Task NodeKilledHoldingClaimedNotifications_NodeBSendsEveryOneOnce()
    {
        // A's relay takes connections and never answers: A's sends hang while it holds their leases.
        var a = await cluster.RunningAAsync();
        cluster.RelayOfA.Holding = true;
        try
        {
            var run = TestMessages.NewMarker("k");
            var recipients = Enumerable.Range(0, 6).Select(i => $"{run}-{i}@example.nl").ToArray();
            var message = await a.IngestAsync(TestMessages.ToBytes(TestMessages.WithMarkers(run, run, run, run, recipients)));

            // Past the moment B could have sent one of them, still within A's send timeout: whatever is leased now is A's.
            await Task.Delay(1500);
            var heldByA = await cluster.DbAsync(db => db.OutboundMails.CountAsync(o => o.MessageId == message.Id && o.Status == OutboundMailStatus.Pending && o.LeaseUntil != null));
            Assert.True(heldByA >= 1, "Node A held no claimed notification when it was killed.");
            Assert.True(cluster.RelayOfA.Held >= 1, "Node A had no send in flight when it was killed.");
            Assert.Equal(137, a.Kill());

            await WaitUntilAsync(() => Task.FromResult(ReceivedFor(run).Count >= recipients.Length), Lease * 4);
            await Task.Delay(1000);
            Assert.Equal(recipients.Order(StringComparer.Ordinal), ReceivedFor(run).Order(StringComparer.Ordinal));
            Assert.Equal(recipients.Length, await cluster.DbAsync(db => db.OutboundMails.CountAsync(o => o.MessageId == message.Id && o.Status == OutboundMailStatus.Sent)));
        }
        finally
        {
            // A stays down until a test needs it (RunningAAsync).
            a.Kill();
            cluster.RelayOfA.Holding = false;
        }
    }

    [TwoNodeFact]
    public async Task SignInLimit_SharedThroughRedis_RefusesTheThirtyFirstRequestAcrossBothNodes()
    {
        var a = await cluster.RunningAAsync();
        // A client address of its own on loopback, so that other tests' sign-ins from 127.0.0.1 do not count.
        var client = IPAddress.Parse($"127.0.{RandomNumberGenerator.GetInt32(1, 255)}.{RandomNumberGenerator.GetInt32(2, 255)}");
        using var onA = FromAddress(client, a);
        using var onB = FromAddress(client, B);

        // Counts are per minute: start early in one, so that all 31 requests fall in it.
        if (DateTime.UtcNow.Second > 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        }

        for (var i = 0; i < SignInPermitsPerMinute; i++)
        {
            using var page = await (i % 2 == 0 ? onA : onB).GetAsync("/signin");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        foreach (var node in new[] { onA, onB })
        {
            using var refused = await node.GetAsync("/signin");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        // The count is the client's: another one is still served.
        using var otherClient = FromAddress(IPAddress.Parse($"127.1.{RandomNumberGenerator.GetInt32(0, 255)}.{RandomNumberGenerator.GetInt32(2, 255)}"), B);
        using var other = await otherClient.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    /// <summary>Who got a notification of this run's messages (not a passcode mail, not a relayed original: the mail links to the portal).</summary>
    private List<string> ReceivedFor(string run) =>
        [.. cluster.Sink.Received.Where(m => m.Headers[PasscodeMailComposer.KindHeader] is null && m.TextBody?.Contains("/m/", StringComparison.Ordinal) == true)
            .SelectMany(m => m.To.Mailboxes).Select(m => m.Address).Where(a => a.StartsWith(run, StringComparison.Ordinal))];

    private static string WithBase(string link, PortalProcess node) => node.BaseUrl + new Uri(link).PathAndQuery;

    private static void CopyCookies(RecipientBrowserlessClient from, RecipientBrowserlessClient to)
    {
        foreach (var (name, value) in from.Cookies)
        {
            to.Cookies[name] = value;
        }
    }

    private static async Task<SmtpClient> ConnectAsync(PortalProcess node)
    {
        var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync("127.0.0.1", node.SmtpPort, SecureSocketOptions.None);
        return client;
    }

    /// <summary>An HTTP client whose connections come from <paramref name="local"/> (any 127.x address reaches the node on 127.0.0.1).</summary>
    private static HttpClient FromAddress(IPAddress local, PortalProcess node) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = new Uri(node.BaseUrl) };

    /// <summary>
    /// A TCP relay on loopback in front of one port: passes each connection through (STARTTLS and all), or, while
    /// <see cref="Holding"/>, accepts it and never answers, as a smart host that hangs.
    /// </summary>
    public sealed class SwitchableRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _held = [];
        private readonly Task _accepting;
        private readonly int _target;

        public SwitchableRelay(int target)
        {
            _target = target;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public bool Holding { get; set; }

        public int Held
        {
            get
            {
                lock (_held)
                {
                    return _held.Count;
                }
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                if (Holding)
                {
                    lock (_held)
                    {
                        _held.Add(client);
                    }
                }
                else
                {
                    _ = PassThroughAsync(client);
                }
            }
        }

        private async Task PassThroughAsync(TcpClient client)
        {
            using (client)
            using (var upstream = new TcpClient())
            {
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                    var inbound = client.GetStream();
                    var outbound = upstream.GetStream();
                    await Task.WhenAny(inbound.CopyToAsync(outbound, _stop.Token), outbound.CopyToAsync(inbound, _stop.Token));
                }
                catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            lock (_held)
            {
                _held.ForEach(c => c.Dispose());
            }

            _stop.Dispose();
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not reached within {timeout}.");
            }

            await Task.Delay(200);
        }
    }
}
