using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using OmePortal.Core.Notifications;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Access;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// The passcode rules of docs/ARCHITECTURE.md §7 against the real <see cref="Passcodes"/> service, resolved from a
/// scope of a real portal on a real database, with the clock in the test's hand.
/// </summary>
public abstract partial class PasscodeRulesTests : IAsyncLifetime
{
    private const string Bob = "bob@fabrikam.example";
    private const string Carol = "carol@fabrikam.example";
    private const string Stranger = "nobody-here@fabrikam.example";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ResendInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Cooldown = TimeSpan.FromMinutes(15);

    // Starts this far apart stay under both the resend interval and five an hour.
    private static readonly TimeSpan Spacing = TimeSpan.FromMinutes(15);

    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;
    private Guid _messageId;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => await UseHostAsync(settings: null);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>(Re)starts the portal with the given settings, the manual clock, and one message to Bob and Carol.</summary>
    private async Task UseHostAsync(IDictionary<string, string?>? settings)
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _host = await new PortalHost(Storage, settings) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();
        _messageId = await IngestAsync(Bob, Carol);
    }

    // ---- The rules ------------------------------------------------------------------------------

    [Fact]
    public async Task Start_RealRecipient_EightDigitCodeWithReferenceValidTenMinutes()
    {
        var now = _clock.GetUtcNow();
        var started = await StartedAsync(Bob, _messageId);

        Assert.NotEqual(Guid.Empty, started.ChallengeId);
        Assert.Matches("^[A-HJ-NP-Z2-9]{6}$", started.ReferenceCode);
        Assert.Equal(now + Lifetime, started.ExpiresAt);

        var code = await CodeOfAsync(started);
        Assert.Matches("^[0-9]{8}$", code);
        Assert.Equal(8, Passcodes.Digits);

        var verified = Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(started.ChallengeId, code));
        Assert.Equal(Bob, verified.Address);
        Assert.Equal(_messageId, verified.MessageId);
    }

    [Fact]
    public async Task Start_AddressIsNormalised_AndCodesDiffer()
    {
        var first = await StartedAsync("  <Bob@FABRIKAM.example> ", messageId: null);
        _clock.Advance(ResendInterval);
        var second = await StartedAsync(Bob, messageId: null);

        var firstCode = await CodeOfAsync(first);
        var secondCode = await CodeOfAsync(second);
        Assert.NotEqual(firstCode, secondCode); // 1 in 10^8 to fail by chance
        Assert.NotEqual(first.ReferenceCode, second.ReferenceCode); // 1 in 32^6

        var verified = Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(first.ChallengeId, firstCode));
        Assert.Equal(Bob, verified.Address);
        Assert.Null(verified.MessageId);
    }

    [Fact]
    public async Task Verify_CodeWithSpacesOrDashes_IsTheSameCode()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(started.ChallengeId, $" {code[..4]} - {code[4..]} "));
    }

    [Fact]
    public async Task Start_StoresOnlyAHash_TheCodeIsNowhereAtRest()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var row = await db.PasscodeChallenges.AsNoTracking().SingleAsync(c => c.Id == started.ChallengeId);
            Assert.Equal(32, row.CodeHash.Length); // an HMAC-SHA-256, not the code
            Assert.False(Contains(row.CodeHash, code));
            Assert.Equal(started.ReferenceCode, row.ReferenceCode);
        }

        // Let the mail go out first, so the scan also covers the row after delivery.
        await PasscodeMailAsync(Bob, started.ReferenceCode);

        if (Storage == StorageKind.Sqlite)
        {
            // Every byte under the data directory (the SQLite file, its WAL, blobs, keys) except the
            // outbox, which holds the mail that carries the code by design.
            var files = Directory.EnumerateFiles(_host.DataDirectory, "*", SearchOption.AllDirectories)
                .Where(f => !f.StartsWith(_host.OutboxDirectory, StringComparison.Ordinal))
                .ToList();
            Assert.Contains(files, f => f.EndsWith("omeportal.db", StringComparison.Ordinal));
            var database = files.Where(f => Path.GetFileName(f).StartsWith("omeportal.db", StringComparison.Ordinal)).ToList();

            // Control: the scan sees the challenge row (its reference code is stored as plain text).
            Assert.Contains(database, f => Contains(File.ReadAllBytes(f), started.ReferenceCode));
            foreach (var file in files)
            {
                Assert.False(Contains(await File.ReadAllBytesAsync(file), code), $"the passcode was found in plaintext in {file}");
            }
        }
        else
        {
            // Every row of every table, as PostgreSQL renders it (bytea as hex).
            var rows = await AllRowsAsTextAsync();
            Assert.Contains(rows, r => r.Contains(started.ReferenceCode, StringComparison.Ordinal)); // control
            var hex = Convert.ToHexString(Encoding.ASCII.GetBytes(code)).ToLowerInvariant();
            Assert.DoesNotContain(rows, r => r.Contains(code, StringComparison.Ordinal) || r.Contains(hex, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Verify_AtTenMinutes_IsDead_JustBefore_IsVerified()
    {
        var expiring = await StartedAsync(Bob, _messageId);
        var expiringCode = await CodeOfAsync(expiring);
        _clock.Advance(Lifetime);
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(expiring.ChallengeId, expiringCode));
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(expiring.ChallengeId, "00000000")); // no longer counts as a try

        _clock.Advance(Spacing);
        var fresh = await StartedAsync(Bob, _messageId);
        var freshCode = await CodeOfAsync(fresh);
        _clock.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(fresh.ChallengeId, freshCode));
    }

    [Fact]
    public async Task Verify_RightCodeTwice_SecondIsDead()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(started.ChallengeId, code));
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(started.ChallengeId, code));
    }

    [Fact]
    public async Task Verify_RightCodeTwiceAtOnce_ExactlyOneVerified()
    {
        for (var round = 0; round < 20; round++)
        {
            _clock.Advance(Spacing);
            var started = await StartedAsync(Bob, _messageId);
            var code = await CodeOfAsync(started);

            var outcomes = await ConcurrentlyAsync(2, _ => (started.ChallengeId, code));

            Assert.Single(outcomes, o => o is PasscodeCheck.Verified);
            Assert.Single(outcomes, o => o is PasscodeCheck.Dead);
        }
    }

    [Fact]
    public async Task Verify_RightCodeManyTimesAtOnce_ExactlyOneVerified()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        var outcomes = await ConcurrentlyAsync(16, _ => (started.ChallengeId, code));

        Assert.Single(outcomes, o => o is PasscodeCheck.Verified);
        Assert.All(outcomes.Where(o => o is not PasscodeCheck.Verified), o => Assert.IsType<PasscodeCheck.Dead>(o));
    }

    [Fact]
    public async Task Verify_CodeOfAnotherChallenge_DoesNotVerify()
    {
        var first = await StartedAsync(Bob, _messageId);
        var firstCode = await CodeOfAsync(first);
        _clock.Advance(ResendInterval);
        var second = await StartedAsync(Bob, _messageId);
        var secondCode = await CodeOfAsync(second);
        var carols = await StartedAsync(Carol, _messageId);
        var carolsCode = await CodeOfAsync(carols);
        Assert.NotEqual(firstCode, secondCode);

        // Bob's first code on his second challenge, and on Carol's; Carol's code on Bob's.
        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(second.ChallengeId, firstCode));
        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(carols.ChallengeId, firstCode));
        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(first.ChallengeId, carolsCode));

        // Each code still opens its own challenge.
        Assert.Equal(Bob, Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(first.ChallengeId, firstCode)).Address);
        Assert.Equal(Bob, Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(second.ChallengeId, secondCode)).Address);
        Assert.Equal(Carol, Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(carols.ChallengeId, carolsCode)).Address);
    }

    [Fact]
    public async Task Verify_UnknownChallenge_IsDead()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(Guid.NewGuid(), code));
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(Guid.Empty, code));
    }

    [Fact]
    public async Task Verify_FiveWrongTries_BurnTheChallenge()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);
        var wrong = WrongCode(code);

        Assert.Equal(4, Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, wrong)).AttemptsLeft);
        Assert.Equal(3, Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, "")).AttemptsLeft);
        Assert.Equal(2, Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, null)).AttemptsLeft);
        Assert.Equal(1, Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, code[..7])).AttemptsLeft);
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(started.ChallengeId, wrong));

        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(started.ChallengeId, code));
    }

    [Fact]
    public async Task Verify_FourWrongTries_ThenTheRightCode_IsVerified()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        for (var i = 0; i < 4; i++)
        {
            Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, WrongCode(code)));
        }

        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(started.ChallengeId, code));
    }

    [Fact]
    public async Task Verify_ManyWrongGuessesAtOnce_AtMostFiveAreCounted_AndTheChallengeIsBurned()
    {
        var started = await StartedAsync(Bob, _messageId);
        var code = await CodeOfAsync(started);

        var outcomes = await ConcurrentlyAsync(20, i => (started.ChallengeId, WrongCode(code, i)));

        Assert.DoesNotContain(outcomes, o => o is PasscodeCheck.Verified);
        Assert.True(outcomes.Count(o => o is PasscodeCheck.Wrong) <= 4, string.Join(", ", outcomes));
        Assert.IsType<PasscodeCheck.Dead>(await VerifyAsync(started.ChallengeId, code));

        // Five tries per challenge means five codes compared, however the requests interleave; and each
        // compared code counts once towards the consecutive-failure cool-down.
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var challenge = await db.PasscodeChallenges.AsNoTracking().SingleAsync(c => c.Id == started.ChallengeId);
        var lockout = await db.RecipientLockouts.AsNoTracking().SingleAsync(l => l.Address == Bob);
        Assert.Equal((5, 5), (challenge.FailedAttempts, lockout.ConsecutiveFailures));
    }

    [Fact]
    public async Task Start_AgainWithinAMinute_IsThrottled_AndNoSecondMailIsQueued()
    {
        await StartedAsync(Bob, _messageId);

        Assert.Equal(ResendInterval, Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, _messageId)).RetryAfter);
        _clock.Advance(ResendInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, messageId: null)).RetryAfter);
        Assert.Equal(1, await CountPasscodeRowsAsync(Bob));

        // Per address: Carol is not held up by Bob.
        await StartedAsync(Carol, _messageId);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await StartedAsync(Bob, _messageId);
        Assert.Equal(2, await CountPasscodeRowsAsync(Bob));
    }

    [Fact]
    public async Task Start_SixthWithinAnHour_IsThrottled()
    {
        var first = _clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            await StartedAsync(Bob, _messageId);
            _clock.Advance(ResendInterval);
        }

        // Five started in the last hour: the sixth waits until the first is an hour old.
        var throttled = Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, _messageId));
        Assert.Equal(first.AddHours(1) - _clock.GetUtcNow(), throttled.RetryAfter);
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, _messageId));
        Assert.Equal(5, await CountPasscodeRowsAsync(Bob));

        _clock.Set(first.AddHours(1).AddSeconds(1));
        await StartedAsync(Bob, _messageId);
    }

    [Fact]
    public async Task Start_ManyAtOnce_OnlyOneIsStarted()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var passcodes = scope.ServiceProvider.GetRequiredService<Passcodes>();
            await Task.Yield();
            return await passcodes.StartAsync(Bob, _messageId, CancellationToken.None);
        }));

        Assert.Single(outcomes, o => o is PasscodeStart.Started);
        Assert.Equal(1, await CountPasscodeRowsAsync(Bob));
    }

    [Fact]
    public async Task Verify_HundredConsecutiveFailures_CoolDown_EvenForTheRightCode()
    {
        // 19 challenges burned with 5 wrong codes each: 95 failures.
        for (var i = 0; i < 19; i++)
        {
            var burned = await StartedAsync(Bob, _messageId);
            var burnedCode = await CodeOfAsync(burned);
            for (var attempt = 0; attempt < 5; attempt++)
            {
                Assert.IsNotType<PasscodeCheck.CoolingDown>(await VerifyAsync(burned.ChallengeId, WrongCode(burnedCode)));
            }

            _clock.Advance(Spacing);
        }

        // A live challenge with four wrong tries: 99 failures.
        var live = await StartedAsync(Bob, _messageId);
        var liveCode = await CodeOfAsync(live);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(live.ChallengeId, WrongCode(liveCode)));
        }

        // The 100th, on a second live challenge.
        _clock.Advance(ResendInterval);
        var other = await StartedAsync(Bob, _messageId);
        var otherCode = await CodeOfAsync(other);
        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(other.ChallengeId, WrongCode(otherCode)));

        // Cooling down: not even the right codes work, and no new passcode is sent.
        Assert.Equal(Cooldown, Assert.IsType<PasscodeCheck.CoolingDown>(await VerifyAsync(live.ChallengeId, liveCode)).RetryAfter);
        Assert.IsType<PasscodeCheck.CoolingDown>(await VerifyAsync(other.ChallengeId, otherCode));
        _clock.Advance(ResendInterval);
        Assert.Equal(Cooldown - ResendInterval, Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, _messageId)).RetryAfter);
        var rows = await CountPasscodeRowsAsync(Bob);

        // Other addresses are not affected.
        var carols = await StartedAsync(Carol, _messageId);
        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(carols.ChallengeId, await CodeOfAsync(carols)));

        // After the cool-down Bob starts afresh.
        _clock.Advance(Cooldown);
        var fresh = await StartedAsync(Bob, _messageId);
        Assert.Equal(rows + 1, await CountPasscodeRowsAsync(Bob));
        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(fresh.ChallengeId, await CodeOfAsync(fresh)));
    }

    [Fact]
    public async Task Verify_ASuccess_ResetsTheConsecutiveFailures()
    {
        await UseHostAsync(new Dictionary<string, string?> { [$"{PasscodeOptions.Section}:MaxConsecutiveFailures"] = "7" });

        async Task FailAsync(int times)
        {
            var started = await StartedAsync(Bob, _messageId);
            var code = await CodeOfAsync(started);
            for (var i = 0; i < times; i++)
            {
                Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(started.ChallengeId, WrongCode(code)));
            }

            _clock.Advance(Spacing);
        }

        await FailAsync(3);
        await FailAsync(3); // 6 of 7
        var success = await StartedAsync(Bob, _messageId);
        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(success.ChallengeId, await CodeOfAsync(success)));
        _clock.Advance(Spacing);

        await FailAsync(3);
        await FailAsync(3); // 6 of 7 again: no cool-down, because the success reset the count
        var last = await StartedAsync(Bob, _messageId);
        var lastCode = await CodeOfAsync(last);
        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(last.ChallengeId, WrongCode(lastCode))); // 7th
        Assert.IsType<PasscodeCheck.CoolingDown>(await VerifyAsync(last.ChallengeId, lastCode));
    }

    [Fact]
    public async Task NoEnumeration_AddressWithoutMessages_SameAnswers_NoMail_NoCodeWorks()
    {
        var now = _clock.GetUtcNow();
        var real = await StartedAsync(Bob, _messageId);
        var stranger = await StartedAsync(Stranger, _messageId);

        // The same shape.
        Assert.Equal(real.ExpiresAt, stranger.ExpiresAt);
        Assert.Equal(now + Lifetime, stranger.ExpiresAt);
        Assert.Matches("^[A-HJ-NP-Z2-9]{6}$", stranger.ReferenceCode);
        Assert.NotEqual(Guid.Empty, stranger.ChallengeId);
        Assert.Equal(real.ChallengeId.ToString("D").Length, stranger.ChallengeId.ToString("D").Length);
        Assert.Equal(real.ChallengeId.Version, stranger.ChallengeId.Version);

        // The same throttle.
        Assert.Equal(ResendInterval, Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Stranger, _messageId)).RetryAfter);
        Assert.Equal(ResendInterval, Assert.IsType<PasscodeStart.Throttled>(await StartAsync(Bob, _messageId)).RetryAfter);

        // The same answers to wrong codes, try after try.
        var realCode = await CodeOfAsync(real);
        var realAnswers = new List<PasscodeCheck>();
        var strangerAnswers = new List<PasscodeCheck>();
        for (var i = 0; i < 6; i++)
        {
            realAnswers.Add(await VerifyAsync(real.ChallengeId, WrongCode(realCode, i)));
            strangerAnswers.Add(await VerifyAsync(stranger.ChallengeId, WrongCode(realCode, i)));
        }

        Assert.Equal(realAnswers, strangerAnswers);

        // No mail: nothing queued, nothing in the outbox (Bob's passcode mail arriving shows the dispatcher ran).
        Assert.Equal(0, await CountPasscodeRowsAsync(Stranger));
        await PasscodeMailAsync(Bob, real.ReferenceCode);
        Assert.DoesNotContain(await OutboxMailsAsync(), m => m.To.Mailboxes.Any(a => a.Address == Stranger));

        // No code works: a challenge made for a non-recipient never verifies, not even with the code it was made with.
        _clock.Advance(Spacing);
        var probe = await StartedAsync(Bob, _messageId);
        var probeCode = await CodeOfAsync(probe);
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            Assert.False(await db.PasscodeChallenges.Where(c => c.Id == stranger.ChallengeId).Select(c => c.Deliverable).SingleAsync());
            await db.PasscodeChallenges.Where(c => c.Id == probe.ChallengeId).ExecuteUpdateAsync(s => s.SetProperty(c => c.Deliverable, false));
        }

        Assert.IsType<PasscodeCheck.Wrong>(await VerifyAsync(probe.ChallengeId, probeCode));
    }

    [Fact]
    public async Task NoEnumeration_RevokedRecipient_GetsNoMail()
    {
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.Recipients.Where(r => r.Address == Carol).ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, _clock.GetUtcNow()));
        }

        var started = await StartedAsync(Carol, _messageId);
        Assert.Equal(_clock.GetUtcNow() + Lifetime, started.ExpiresAt);
        Assert.Equal(0, await CountPasscodeRowsAsync(Carol));
    }

    [Fact]
    public async Task Start_RealRecipient_PasscodeMailArrivesInTheOutbox()
    {
        var started = await StartedAsync(Bob, _messageId);

        var mail = await PasscodeMailAsync(Bob, started.ReferenceCode);
        Assert.Equal(PasscodeMailComposer.Kind, mail.Headers[PasscodeMailComposer.KindHeader]);
        Assert.Equal("auto-generated", mail.Headers["Auto-Submitted"]);
        Assert.Equal(Bob, Assert.Single(mail.To.Mailboxes).Address);
        Assert.Contains(started.ReferenceCode, mail.Subject, StringComparison.Ordinal);
        Assert.Contains(started.ReferenceCode, mail.TextBody ?? "", StringComparison.Ordinal);

        var code = CodeInMail(mail);
        Assert.DoesNotContain(code, mail.Subject, StringComparison.Ordinal);
        Assert.IsType<PasscodeCheck.Verified>(await VerifyAsync(started.ChallengeId, code));

        // Once sent, the sealed copy of the code is dropped from the queue (the row is updated just after the file is written).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        OutboundMailRecord row;
        do
        {
            await Task.Delay(50);
            await using var scope = _host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            row = await db.OutboundMails.AsNoTracking().SingleAsync(o => o.Kind == OutboundMailKind.Passcode && o.ToAddress == Bob);
        }
        while (row.Status == OutboundMailStatus.Pending && DateTime.UtcNow < deadline);

        Assert.Equal(OutboundMailStatus.Sent, row.Status);
        Assert.Null(row.SealedPayload);
    }

    // ---- Helpers --------------------------------------------------------------------------------

    private async Task<PasscodeStart> StartAsync(string address, Guid? messageId)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Passcodes>().StartAsync(address, messageId, CancellationToken.None);
    }

    private async Task<PasscodeStart.Started> StartedAsync(string address, Guid? messageId) =>
        Assert.IsType<PasscodeStart.Started>(await StartAsync(address, messageId));

    private async Task<PasscodeCheck> VerifyAsync(Guid challengeId, string? code)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Passcodes>().VerifyAsync(challengeId, code, CancellationToken.None);
    }

    /// <summary>Submits <paramref name="count"/> codes at once, each through its own scope (own DbContext and connection).</summary>
    private async Task<PasscodeCheck[]> ConcurrentlyAsync(int count, Func<int, (Guid ChallengeId, string Code)> submission)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = 0;
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var passcodes = scope.ServiceProvider.GetRequiredService<Passcodes>();
            var (challengeId, code) = submission(i);
            if (Interlocked.Increment(ref ready) == count)
            {
                go.SetResult();
            }

            await go.Task;
            return await passcodes.VerifyAsync(challengeId, code, CancellationToken.None);
        })).ToList();
        return await Task.WhenAll(tasks);
    }

    /// <summary>An 8-digit code that is not <paramref name="code"/>.</summary>
    private static string WrongCode(string code, int variant = 0)
    {
        var value = (long.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1 + variant) % 100_000_000;
        return value.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The code of a challenge, as its recipient learns it: from the sealed queue row while the mail
    /// waits, or from the mail in the outbox once it has left.
    /// </summary>
    private async Task<string> CodeOfAsync(PasscodeStart.Started started)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using (var scope = _host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                var master = scope.ServiceProvider.GetRequiredService<MasterKeyHolder>();
                var address = await db.PasscodeChallenges.Where(c => c.Id == started.ChallengeId).Select(c => c.Address).SingleAsync();
                var payloads = await db.OutboundMails.AsNoTracking()
                    .Where(o => o.Kind == OutboundMailKind.Passcode && o.ToAddress == address && o.SealedPayload != null)
                    .Select(o => o.SealedPayload!)
                    .ToListAsync();
                foreach (var payload in payloads)
                {
                    var (code, reference, expiresAt) = Passcodes.OpenFromOutbox(master, payload);
                    if (reference == started.ReferenceCode)
                    {
                        Assert.Equal(started.ExpiresAt, expiresAt);
                        return code;
                    }
                }

                if (await FindPasscodeMailAsync(address, started.ReferenceCode) is { } mail)
                {
                    return CodeInMail(mail);
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No passcode found for challenge {started.ChallengeId} ({started.ReferenceCode}).");
            }

            await Task.Delay(50);
        }
    }

    private static string CodeInMail(MimeMessage mail)
    {
        var codes = EightDigitLine().Matches((mail.TextBody ?? "").Replace("\r\n", "\n", StringComparison.Ordinal)).Select(m => m.Value).ToList();
        return Assert.Single(codes);
    }

    [GeneratedRegex("(?m)^[0-9]{8}$")]
    private static partial Regex EightDigitLine();

    private async Task<MimeMessage> PasscodeMailAsync(string address, string reference)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await FindPasscodeMailAsync(address, reference) is { } mail)
            {
                return mail;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No passcode mail to {address} with reference {reference} in {_host.OutboxDirectory}.");
            }

            await Task.Delay(50);
        }
    }

    private async Task<MimeMessage?> FindPasscodeMailAsync(string address, string reference) =>
        (await OutboxMailsAsync()).FirstOrDefault(m =>
            m.Headers[PasscodeMailComposer.KindHeader] == PasscodeMailComposer.Kind
            && m.To.Mailboxes.Any(a => a.Address == address)
            && (m.Subject ?? "").Contains(reference, StringComparison.Ordinal));

    private async Task<List<MimeMessage>> OutboxMailsAsync()
    {
        var mails = new List<MimeMessage>();
        if (!Directory.Exists(_host.OutboxDirectory))
        {
            return mails;
        }

        foreach (var file in Directory.GetFiles(_host.OutboxDirectory, "*.eml"))
        {
            await using var stream = File.OpenRead(file);
            mails.Add(await MimeMessage.LoadAsync(stream));
        }

        return mails;
    }

    private async Task<int> CountPasscodeRowsAsync(string address)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        return await db.OutboundMails.CountAsync(o => o.Kind == OutboundMailKind.Passcode && o.ToAddress == address);
    }

    private async Task<Guid> IngestAsync(params string[] to)
    {
        var raw = TestMessages.ToBytes(TestMessages.WithMarkers("s", "h", "t", "a", to));
        return (await _host.IngestAsync(raw)).Id;
    }

    /// <summary>PostgreSQL: every row of every table in the database, rendered as text.</summary>
    private async Task<List<string>> AllRowsAsTextAsync()
    {
        var rows = new List<string>();
        await using var connection = new NpgsqlConnection(_host.PostgresConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("PasscodeChallenges", tables);
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        return rows;
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0
        || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) >= 0;
}

public sealed class PasscodeRulesSqliteTests : PasscodeRulesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PasscodeRulesPostgresTests : PasscodeRulesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
