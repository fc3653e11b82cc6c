using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>
/// "A 250 is sent only after the message is durably stored": the portal runs as its own process and is
/// SIGKILLed at random moments while a sender that behaves like a real MTA keeps submitting. Afterwards
/// the data directory is opened directly (database + master key) and every message that got a 250
/// must be there exactly once, decrypting to what was sent.
/// </summary>
public sealed class SmtpDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const int MessageCount = 150;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan SendingBudget = TimeSpan.FromSeconds(100);

    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-kill");
    private PortalProcess? _portal;

    [Fact]
    public async Task Send_WhileKilledRepeatedly_EveryAcceptedMessageIsStoredExactlyOnce()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("OMEPORTAL_KILL_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        output.WriteLine($"Seed {seed} (set OMEPORTAL_KILL_SEED={seed} to replay the same kill schedule).");
        var random = new Random(seed);

        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;
        var apiKey = "omp_kill_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        _portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), apiKey, work);
        var clock = Stopwatch.StartNew();
        try
        {
            Assert.True(File.Exists(PortalProcess.AppPath), $"{PortalProcess.AppPath} is missing from the test output.");
            _portal.Start();
            await _portal.WaitReadyAsync(StartTimeout);

            var messages = Enumerable.Range(0, MessageCount).Select(i => OutgoingMessage.Create(i, seed)).ToArray();
            var sender = new MtaSender(_portal.SmtpPort);
            var sending = Task.Run(() => sender.DeliverAllAsync(messages, clock.Elapsed + SendingBudget, clock));

            // The killer: SIGKILL at random moments while mail flows, restart on the same data and ports.
            var plannedKills = random.Next(4, 9);
            var kills = 0;
            var killsDuringTransaction = 0;
            for (var k = 0; k < plannedKills; k++)
            {
                // Kill in steady flow, not only during the first (cold) transaction after a restart.
                var deliveredBefore = sender.Delivered;
                while (sender.Delivered == deliveredBefore && !sending.IsCompleted)
                {
                    await Task.Delay(10);
                }

                await Task.WhenAny(sending, Task.Delay(random.Next(300, 1501)));
                if (sending.IsCompleted)
                {
                    break;
                }

                var inTransaction = sender.InTransaction;
                var exitCode = _portal.Kill();
                if (exitCode is int code)
                {
                    Assert.Equal(128 + 9, code); // killed by SIGKILL, not a graceful exit
                    kills++;
                    killsDuringTransaction += inTransaction ? 1 : 0;
                }

                _portal.Start();
                await _portal.WaitReadyAsync(StartTimeout);
            }

            await sending.WaitAsync(SendingBudget + TimeSpan.FromSeconds(15));

            // Once more on the same data: the portal must still start after all that, then stop cleanly.
            if (!_portal.IsRunning)
            {
                _portal.Start();
            }

            await _portal.WaitReadyAsync(StartTimeout);
            var finalExit = await _portal.StopAsync(TimeSpan.FromSeconds(20));

            output.WriteLine(
                $"{kills} kill(s) of {plannedKills} planned ({killsDuringTransaction} during an SMTP transaction), {sender.TransientReplies} 4xx repl(ies), " +
                $"{sender.ConnectionErrors} connection error(s), {messages.Count(m => m.Attempts > 1)} message(s) resent, " +
                $"{CountOccurrences(_portal.Log, "Retried transaction recognised")} retr(ies) recognised as already stored, final exit code {finalExit}, " +
                $"{clock.Elapsed.TotalSeconds:F1} s.");

            await VerifyStoredAsync(data, messages);
            Assert.True(kills > 0, "The portal was never killed: the test proved nothing.");
            Assert.All(messages, m => Assert.True(m.StoredId.HasValue, $"Message {m.Index} never got a 250."));
        }
        catch
        {
            output.WriteLine("---- portal process output ----");
            output.WriteLine(_portal.Log);
            throw;
        }
    }

    /// <summary>Reads the data directory the way an auditor would: SQLite file, master key file, blob files.</summary>
    private async Task VerifyStoredAsync(string data, IReadOnlyList<OutgoingMessage> messages)
    {
        var options = new DbContextOptionsBuilder<SqliteOmePortalDbContext>()
            .UseSqlite($"Data Source={Path.Combine(data, "omeportal.db")};Pooling=False")
            .Options;
        await using var db = new SqliteOmePortalDbContext(options);
        using var master = MasterKey.LoadOrCreate(Path.Combine(data, "master.key"));

        var tenantKeys = (await db.TenantKeys.AsNoTracking().Where(k => k.WrappedKey != null).ToListAsync())
            .ToDictionary(k => (k.TenantId, k.Version), k => TenantKey.Unwrap(master, k.TenantId, k.Version, k.WrappedKey!));
        var rows = await db.Messages.AsNoTracking().Include(m => m.Recipients).ToListAsync();
        output.WriteLine($"{rows.Count} message row(s) in the database for {messages.Count} message(s) sent.");

        var byMessageId = messages.ToDictionary(m => m.MessageId, StringComparer.Ordinal);
        var storedCount = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            foreach (var row in rows)
            {
                Assert.NotNull(row.WrappedKey);
                using var messageKey = MessageKey.Unwrap(tenantKeys[(row.TenantId, row.KeyVersion)], row.WrappedKey);
                byte[] plaintext;
                await using (var ciphertext = File.OpenRead(Path.Combine(data, "blobs", row.ContentBlob)))
                await using (var decrypting = VaultStream.OpenDecrypt(messageKey, new BlobContext(row.TenantId, row.Id, BlobPurpose.Content), ciphertext))
                using (var buffer = new MemoryStream())
                {
                    await decrypting.CopyToAsync(buffer);
                    plaintext = buffer.ToArray();
                }

                var parsed = MimeMessage.Load(new MemoryStream(plaintext));
                Assert.True(byMessageId.TryGetValue(parsed.MessageId ?? string.Empty, out var sent), $"Row {row.Id} holds a message that was never sent ({parsed.MessageId}).");
                storedCount[sent.MessageId] = storedCount.GetValueOrDefault(sent.MessageId) + 1;

                // (b) the stored message is the one that was sent: same bytes, same subject with its marker.
                Assert.Equal(sent.Subject, parsed.Subject);
                Assert.Contains(sent.Marker, parsed.TextBody, StringComparison.Ordinal);
                Assert.True(sent.Bytes.AsSpan().SequenceEqual(plaintext), $"Message {sent.Index}: stored bytes differ from the bytes sent.");
                Assert.Equal(sent.Recipient, Assert.Single(row.Recipients).Address);

                // The 250 named this very row (a retry recognised as a duplicate names the first copy).
                if (sent.StoredId is Guid acknowledged)
                {
                    Assert.Equal(acknowledged, row.Id);
                }
            }
        }
        finally
        {
            foreach (var key in tenantKeys.Values)
            {
                key.Dispose();
            }
        }

        // (a) every acknowledged message is there, and (c) no message is there twice.
        foreach (var message in messages.Where(m => m.StoredId.HasValue))
        {
            Assert.True(storedCount.TryGetValue(message.MessageId, out var count), $"Message {message.Index} got a 250 but is not stored.");
            Assert.Equal(1, count);
        }

        Assert.All(storedCount, pair => Assert.Equal(1, pair.Value));
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Dispose()
    {
        _portal?.Dispose();
        for (var attempt = 0; attempt < 5 && Directory.Exists(_root); attempt++)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>One message to deliver, with what must come back out of the vault.</summary>
    private sealed class OutgoingMessage
    {
        private OutgoingMessage(int index, string marker, MimeMessage mime, byte[] bytes)
        {
            Index = index;
            Marker = marker;
            Mime = mime;
            Bytes = bytes;
        }

        public int Index { get; }

        public string Marker { get; }

        public MimeMessage Mime { get; }

        /// <summary>The bytes MailKit puts on the wire for this message (CRLF, trailing newline).</summary>
        public byte[] Bytes { get; }

        public string MessageId => Mime.MessageId!;

        public string Subject => Mime.Subject!;

        public string Recipient => Mime.To.Mailboxes.Single().Address;

        public int Attempts { get; set; }

        public Guid? StoredId { get; set; }

        public static OutgoingMessage Create(int index, int seed)
        {
            var marker = $"MARK-{seed:x8}-{index:D4}-{Guid.NewGuid():N}";
            var mime = new MimeMessage
            {
                Subject = $"Durability {index:D4} {marker}",
                MessageId = $"kill-{index:D4}.{Guid.NewGuid():N}@durability.contoso.test",
                Date = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            };
            mime.From.Add(MailboxAddress.Parse("mta@contoso.test"));
            mime.To.Add(MailboxAddress.Parse($"rcpt{index % 7}@example.net"));

            // Every tenth message is large, so some kills land in the middle of a transfer or of the ingest.
            var body = new StringBuilder().Append("Marker: ").Append(marker).Append("\r\n");
            var lines = index % 10 == 0 ? 4000 : 5;
            for (var line = 0; line < lines; line++)
            {
                body.Append("Line ").Append(line).Append(" of message ").Append(index).Append(": lorem ipsum dolor sit amet.\r\n");
            }

            mime.Body = new TextPart("plain") { Text = body.ToString() };
            mime.Prepare(EncodingConstraint.EightBit, 998);

            var format = FormatOptions.Default.Clone();
            format.NewLineFormat = NewLineFormat.Dos;
            format.EnsureNewLine = true;
            using var buffer = new MemoryStream();
            mime.WriteTo(format, buffer);
            return new OutgoingMessage(index, marker, mime, buffer.ToArray());
        }
    }

    /// <summary>
    /// Delivers like a real MTA: a message counts as delivered only on a 250; on a 4xx or any connection
    /// failure it reconnects and sends the same message (same Message-ID) again.
    /// </summary>
    private sealed class MtaSender(int port)
    {
        private volatile bool _inTransaction;
        private int _delivered;

        public bool InTransaction => _inTransaction;

        public int Delivered => Volatile.Read(ref _delivered);

        public int TransientReplies { get; private set; }

        public int ConnectionErrors { get; private set; }

        public async Task DeliverAllAsync(IReadOnlyList<OutgoingMessage> messages, TimeSpan deadline, Stopwatch clock)
        {
            SmtpClient? client = null;
            try
            {
                foreach (var message in messages)
                {
                    while (message.StoredId is null)
                    {
                        if (clock.Elapsed > deadline)
                        {
                            throw new TimeoutException($"Message {message.Index} was still not delivered after {message.Attempts} attempt(s).");
                        }

                        message.Attempts++;
                        try
                        {
                            if (client is not { IsConnected: true })
                            {
                                client?.Dispose();
                                client = new SmtpClient { Timeout = 15_000 };
                                await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
                            }

                            _inTransaction = true;
                            var reply = await client.SendAsync(message.Mime);
                            message.StoredId = SmtpTestSupport.StoredIdFromReply(reply);
                            Interlocked.Increment(ref _delivered);
                        }
                        catch (SmtpCommandException exception) when ((int)exception.StatusCode is >= 400 and < 500)
                        {
                            TransientReplies++;
                            await DropAsync(client);
                            client = null;
                        }
                        catch (Exception exception) when (exception is IOException or SocketException or SmtpProtocolException
                            or ServiceNotConnectedException or OperationCanceledException or TimeoutException or ObjectDisposedException)
                        {
                            ConnectionErrors++;
                            await DropAsync(client);
                            client = null;
                        }
                        finally
                        {
                            _inTransaction = false;
                        }
                    }
                }

                await DropAsync(client);
                client = null;
            }
            finally
            {
                client?.Dispose();
            }
        }

        private static async Task DropAsync(SmtpClient? client)
        {
            if (client is not null)
            {
                try
                {
                    await client.DisconnectAsync(quit: false);
                }
                catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or SmtpProtocolException or InvalidOperationException)
                {
                }

                client.Dispose();
            }

            await Task.Delay(100);
        }
    }
}
